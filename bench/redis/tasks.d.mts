export declare function square(x: number): number;
export declare function countPrimes(range: [number, number]): number;
