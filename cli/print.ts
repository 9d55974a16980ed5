/** Where a command writes its human output (stdout in the CLI, an array in tests). */
export type Print = (line: string) => void;
