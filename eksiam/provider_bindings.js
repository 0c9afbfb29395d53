"use strict";
// The AWS provider bindings' JavaScript, loaded a submodule at a time: the Node half of
// eksiam/provider_bindings.py, preloaded into the Node process jsii starts (NODE_OPTIONS).
//
// The package's lib/index.js is 2,135 lines `exports.iamRole = require("./iam-role");`, which
// load all 247 MB of its JavaScript before an app can create a single resource (~3 CPU-s of
// every synth). Each such line is compiled as a property that requires its submodule on first
// access and then holds it, as the assignment would have: jsii finds a type by walking the
// package's exports along its name (`iamRole.IamRole`), so only the submodules an app uses load.
// Any other file, or a line of another form, is compiled as written.

const fs = require("fs");
const Module = require("module");
const path = require("path");

const PACKAGE = "@cdktf/provider-aws";
const EAGER_EXPORT = /^exports\.([A-Za-z_$][\w$]*) = require\(("\.\/[\w./-]+")\);$/gm;

function lazyExport(_line, name, submodule) {
  const hold = `(value) => Object.defineProperty(exports, "${name}", { value, writable: true, enumerable: true, configurable: true })`;
  return (
    `Object.defineProperty(exports, "${name}", { enumerable: true, configurable: true, ` +
    `get() { const value = require(${submodule}); (${hold})(value); return value; }, set: ${hold} });`
  );
}

function isBindingsIndex(filename) {
  if (path.basename(filename) !== "index.js" || path.basename(path.dirname(filename)) !== "lib") {
    return false;
  }
  try {
    const manifest = fs.readFileSync(path.join(path.dirname(filename), "..", "package.json"), "utf8");
    return JSON.parse(manifest).name === PACKAGE;
  } catch {
    return false;
  }
}

const compile = Module.prototype._compile;
if (typeof compile === "function") {
  Module.prototype._compile = function (content, filename, ...rest) {
    const source = typeof content === "string" && isBindingsIndex(filename) ? content.replace(EAGER_EXPORT, lazyExport) : content;
    return compile.call(this, source, filename, ...rest);
  };
}
