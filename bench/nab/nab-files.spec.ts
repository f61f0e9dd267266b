import { parseSeriesCsv, timestampMs } from './nab-files';

describe('parseSeriesCsv', () => {
  it('reads CRLF files without a final newline', () => {
    const series = parseSeriesCsv('x/a.csv', 'timestamp,value\r\n2011-07-01 00:00:01,0.5\r\n2011-07-01 01:00:01,12');
    expect(series.timestamps).toEqual(['2011-07-01 00:00:01', '2011-07-01 01:00:01']);
    expect(series.values).toEqual([0.5, 12]);
    expect(series.rawValues).toEqual(['0.5', '12']);
  });

  it('rejects a value that is not a number', () => {
    expect(() => parseSeriesCsv('x/a.csv', 'timestamp,value\n2011-07-01 00:00:01,abc\n')).toThrow(/row 1/);
  });
});

describe('timestampMs', () => {
  it('reads naive times as UTC, so a day is always 86,400,000 ms', () => {
    expect(timestampMs('2014-03-30 02:30:00') - timestampMs('2014-03-29 02:30:00')).toBe(86_400_000);
    expect(timestampMs('1970-01-01 00:00:01')).toBe(1000);
  });

  it('rejects other formats', () => {
    expect(() => timestampMs('2014-03-30T02:30:00')).toThrow(/NAB timestamp/);
  });
});
