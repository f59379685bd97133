#!/usr/bin/env node
// The blox binary: runs the compiled CLI (npm install builds it through the prepare script).
// The AWS SDK warns on Node 20 that its releases after early 2027 need Node 22; Blox pins its SDK
// versions (package.json), so the warning says nothing actionable to a Blox user.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const { main } = await import('../dist/cli/main.js');

main(process.argv).then(
  (code) => {
    if (typeof code === 'number') process.exitCode = code;
  },
  (err) => {
    console.error(`blox: ${err && err.message ? err.message : err}`);
    process.exitCode = 1;
  },
);
