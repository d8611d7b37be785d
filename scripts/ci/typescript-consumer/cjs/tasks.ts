export function norm(point: { x: number; y: number }): number {
  return Math.hypot(point.x, point.y);
}

export async function join(parts: string[], separator: string): Promise<string> {
  return parts.join(separator);
}
