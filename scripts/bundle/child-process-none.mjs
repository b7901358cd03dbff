// node:child_process for commander in the CLI bundle: commander imports it for executable
// subcommands (`program.command("x", "description")` running isoplace-x), which isoplace does not
// have; importing the builtin cost every start ~3 ms. Anything that calls it fails loudly.
const unavailable = () => {
  throw new Error("isoplace: commander's executable subcommands are not bundled");
};
export default { spawn: unavailable, execFileSync: unavailable };
