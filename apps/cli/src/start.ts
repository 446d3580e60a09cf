/** What other projects (the full-stack tests) use of the CLI: run it in process. */
export { buildProgram, CliError, runCli, type Io } from './program';
