// A task module for the runtime smoke test: loaded by each thread, called by name.
export function square(x) {
  return x * x;
}

export async function later(x, ms) {
  await new Promise((resolve) => setTimeout(resolve, ms));
  return x + 1;
}
