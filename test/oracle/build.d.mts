export declare const oracleDir: string;
export declare function buildOracle(): Promise<{ binary: string; built: boolean; ms: number }>;
