/**
 * The identifiers a plugin's name becomes in each language's own files. A plugin name is a
 * DNS-1123 label (`my-plugin`, `go`, `1st-plugin`); not every label is a valid Go module path
 * or Cargo package name, so those get a derived name and the plugin keeps its own.
 */

/**
 * Module paths the go command refuses as a first path element: `go` and `toolchain` are
 * reserved, `std`, `cmd` and `all` are package patterns, and the Windows device names are
 * refused on every platform (golang.org/x/mod/module.CheckPath).
 */
const goReserved = new Set(['go', 'toolchain', 'std', 'cmd', 'all', 'con', 'prn', 'aux', 'nul',
  ...[1, 2, 3, 4, 5, 6, 7, 8, 9].flatMap((n) => [`com${n}`, `lpt${n}`])]);

/** The go.mod module path for a plugin: its name, or `NAME-plugin` where the go command refuses the name. */
export function goModulePath(name: string): string {
  return goReserved.has(name) ? `${name}-plugin` : name;
}

/** The Cargo package (and library) name: snake_case, and never starting with a digit, which cargo refuses. */
export function rustCrateName(name: string): string {
  const snake = name.split(/[-_.]+/).filter(Boolean).join('_');
  return /^[0-9]/.test(snake) ? `plugin_${snake}` : snake;
}
