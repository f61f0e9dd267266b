import { parseSeriesCsv } from './nab-files';

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
