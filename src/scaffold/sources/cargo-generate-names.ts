/**
 * The placeholders cargo-generate defines itself (cargo-generate-builtins.ts gives their values):
 * telling a template's format needs only their names, and so loads nothing to compute them.
 */
export const cargoGenerateBuiltinNames = ['project-name', 'crate_name', 'crate_type', 'authors', 'username', 'os-arch', 'within_cargo_project', 'is_init'];
