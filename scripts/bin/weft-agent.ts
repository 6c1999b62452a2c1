/**
 * The `weft-agent` command of the installed package: agent/main.ts's table of subcommands, run.
 * (agent/main.ts runs itself only when started as agent/main.ts, as `npm run agent` does.)
 */
import { main } from '../../agent/main.ts';

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    console.error(`weft-agent: ${(error as Error).message}`);
    process.exit(1);
  },
);
