import type { Scenario } from './explore.js';

type Shape = Omit<Scenario, 'name' | 'strategy' | 'transactional'> & { readonly label: string };

/** The run sets the explorer drives, for each strategy and database model. */
const SHAPES: readonly Shape[] = [
  { label: 'two runs sharing a token', runs: [{ name: 'A', token: 't1' }, { name: 'B', token: 't1' }] },
  { label: 'two runs with their own tokens', runs: [{ name: 'A', token: 't1' }, { name: 'B', token: 't2' }] },
  { label: 'two runs that each resume or start one', runs: [{ name: 'A' }, { name: 'B' }] },
  { label: 'a run that dies anywhere, and one that resumes it', runs: [{ name: 'A', crashable: true }, { name: 'B' }] },
  {
    label: 'two runs sharing a token and a third with its own',
    runs: [{ name: 'A', token: 't1' }, { name: 'B', token: 't1' }, { name: 'C', token: 't2' }],
  },
  {
    label: 'two runs sharing a token, one of which may die, and a third with its own',
    runs: [{ name: 'A', token: 't1', crashable: true }, { name: 'B', token: 't1' }, { name: 'C', token: 't2' }],
  },
];

const MODELS = [
  { model: 'PostgreSQL/Redshift', transactional: true },
  { model: 'DocumentDB', transactional: false },
] as const;

export const SCENARIOS: readonly Scenario[] = (['single-user', 'alternating-users'] as const).flatMap((strategy) =>
  MODELS.flatMap(({ model, transactional }) =>
    SHAPES.map(({ label, ...shape }) => ({ ...shape, name: `${strategy}, ${model}: ${label}`, strategy, transactional })),
  ),
);
