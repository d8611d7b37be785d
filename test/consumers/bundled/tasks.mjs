// A task module shipped beside the bundle (a bundler cannot inline what threads import).
export function double(x) {
  return x * 2;
}
