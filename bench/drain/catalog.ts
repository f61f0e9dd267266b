/**
 * What the generator draws from: models with list prices (USD per million tokens, as
 * published by the providers in 2025), where accounts run, and what clients send.
 */
export type Tier = 'cheap' | 'mid' | 'expensive';

export interface Model {
  name: string;
  provider: string;
  tier: Tier;
  inputPerMTok: number;
  outputPerMTok: number;
}

export const MODELS: readonly Model[] = [
  { name: 'gpt-4o-mini', provider: 'openai', tier: 'cheap', inputPerMTok: 0.15, outputPerMTok: 0.6 },
  { name: 'gemini-2.0-flash', provider: 'google', tier: 'cheap', inputPerMTok: 0.1, outputPerMTok: 0.4 },
  { name: 'claude-3-5-haiku', provider: 'anthropic', tier: 'cheap', inputPerMTok: 0.8, outputPerMTok: 4 },
  { name: 'gpt-4.1-mini', provider: 'openai', tier: 'cheap', inputPerMTok: 0.4, outputPerMTok: 1.6 },
  { name: 'gpt-4o', provider: 'openai', tier: 'mid', inputPerMTok: 2.5, outputPerMTok: 10 },
  { name: 'gpt-4.1', provider: 'openai', tier: 'mid', inputPerMTok: 2, outputPerMTok: 8 },
  { name: 'claude-sonnet-4', provider: 'anthropic', tier: 'mid', inputPerMTok: 3, outputPerMTok: 15 },
  { name: 'gemini-2.5-pro', provider: 'google', tier: 'mid', inputPerMTok: 1.25, outputPerMTok: 10 },
  { name: 'o1', provider: 'openai', tier: 'expensive', inputPerMTok: 15, outputPerMTok: 60 },
  { name: 'claude-opus-4', provider: 'anthropic', tier: 'expensive', inputPerMTok: 15, outputPerMTok: 75 },
  { name: 'gpt-4.5-preview', provider: 'openai', tier: 'expensive', inputPerMTok: 75, outputPerMTok: 150 },
];

export const modelsOfTier = (tier: Tier): Model[] => MODELS.filter((m) => m.tier === tier);

export function costUsd(model: Model, inputTokens: number, outputTokens: number): number {
  return Math.round(((inputTokens * model.inputPerMTok + outputTokens * model.outputPerMTok) / 1e6) * 1e8) / 1e8;
}

/** Where accounts run: UTC offset of their business day and the country of their servers. */
export const REGIONS: ReadonlyArray<{ utcOffsetHours: number; countries: string[] }> = [
  { utcOffsetHours: -8, countries: ['US', 'CA'] },
  { utcOffsetHours: -5, countries: ['US', 'CA'] },
  { utcOffsetHours: -3, countries: ['BR', 'AR'] },
  { utcOffsetHours: 0, countries: ['GB', 'IE', 'PT'] },
  { utcOffsetHours: 1, countries: ['DE', 'FR', 'NL', 'ES', 'SE'] },
  { utcOffsetHours: 2, countries: ['FI', 'PL', 'IL'] },
  { utcOffsetHours: 5.5, countries: ['IN'] },
  { utcOffsetHours: 8, countries: ['SG', 'CN'] },
  { utcOffsetHours: 9, countries: ['JP', 'KR'] },
  { utcOffsetHours: 10, countries: ['AU'] },
];

/** Countries attackers' traffic comes from (residential proxies, bullet-proof hosting). */
export const ATTACKER_COUNTRIES = ['RU', 'VN', 'NG', 'ID', 'UA', 'TR', 'KZ', 'PK', 'RO', 'HK'];

/** Travel destinations of developers calling from a laptop. */
export const TRAVEL_COUNTRIES = ['US', 'GB', 'DE', 'FR', 'JP', 'ES', 'IT', 'TH', 'MX', 'PT'];

export const USER_AGENTS: ReadonlyArray<[string, string]> = [
  ['openai-python/', '1.54.'],
  ['OpenAI/NodeJS/', '4.77.'],
  ['anthropic-sdk-python/', '0.42.'],
  ['@anthropic-ai/sdk/', '0.33.'],
  ['langchain-core/', '0.3.'],
  ['llamaindex/', '0.12.'],
  ['Go-http-client/', '2.'],
  ['curl/', '8.5.'],
];
