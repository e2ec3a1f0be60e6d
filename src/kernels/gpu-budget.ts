/**
 * How messages name the budget of a GPU run when the call sets no `memoryBudget`: the default from
 * `STYLIZE_DEFAULTS.memoryBudget` (browsers report no GPU memory, so it is a guess the app should replace).
 */
export const GPU_BUDGET_NOTE = 'the default GPU budget (browsers report no GPU memory; set `memoryBudget` to your GPU\'s)';
