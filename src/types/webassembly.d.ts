/**
 * The WebAssembly JS API as Node provides it. TypeScript declares it only in lib.dom, which would
 * also change fetch's types for this Node-only package, so the part we use is declared here.
 */
declare namespace WebAssembly {
  type ImportExportKind = 'function' | 'global' | 'memory' | 'table' | 'tag';
  interface ModuleImportDescriptor { module: string; name: string; kind: ImportExportKind }
  interface ModuleExportDescriptor { name: string; kind: ImportExportKind }
  type ImportValue = ExportValue | number | bigint;
  type ExportValue = Function | Global | Memory | Table;
  type ModuleImports = Record<string, ImportValue>;
  type Imports = Record<string, ModuleImports>;
  type Exports = Record<string, ExportValue>;
  type BufferSource = ArrayBufferView | ArrayBuffer;

  class Module {
    constructor(bytes: BufferSource);
    static imports(module: Module): ModuleImportDescriptor[];
    static exports(module: Module): ModuleExportDescriptor[];
    static customSections(module: Module, sectionName: string): ArrayBuffer[];
  }
  class Instance {
    constructor(module: Module, importObject?: Imports);
    readonly exports: Exports;
  }
  interface MemoryDescriptor { initial: number; maximum?: number; shared?: boolean }
  class Memory {
    constructor(descriptor: MemoryDescriptor);
    readonly buffer: ArrayBuffer;
    grow(delta: number): number;
  }
  interface TableDescriptor { element: 'anyfunc' | 'externref'; initial: number; maximum?: number }
  class Table {
    constructor(descriptor: TableDescriptor, value?: unknown);
    readonly length: number;
    get(index: number): unknown;
    grow(delta: number, value?: unknown): number;
    set(index: number, value?: unknown): void;
  }
  interface GlobalDescriptor { mutable?: boolean; value: 'i32' | 'i64' | 'f32' | 'f64' | 'externref' | 'anyfunc' }
  class Global {
    constructor(descriptor: GlobalDescriptor, value?: unknown);
    value: unknown;
    valueOf(): unknown;
  }
  class CompileError extends Error {}
  class LinkError extends Error {}
  class RuntimeError extends Error {}
  interface WebAssemblyInstantiatedSource { module: Module; instance: Instance }
  function compile(bytes: BufferSource): Promise<Module>;
  function instantiate(bytes: BufferSource, importObject?: Imports): Promise<WebAssemblyInstantiatedSource>;
  function instantiate(module: Module, importObject?: Imports): Promise<Instance>;
  function validate(bytes: BufferSource): boolean;
}
