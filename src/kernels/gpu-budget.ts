/**
 * Bytes a run may hold on a GPU backend (WebGL, WebGPU) unless the call's `memoryBudget` says otherwise. Browsers
 * report no GPU memory (WebGL has no query; WebGPU's adapter limits bound single buffers, not the total), so this is
 * a conservative guess: 2 GiB, what a 4 GB discrete card or an integrated GPU sharing 8 GB of RAM gives one tab
 * without the driver evicting or losing the context. Default settings at 512 px need about 1 GiB.
 */
export const DEFAULT_GPU_MEMORY_BUDGET = 2 * 1024 ** 3;

export const GPU_BUDGET_NOTE = 'the default GPU budget (browsers report no GPU memory; set `memoryBudget` to your GPU\'s)';
