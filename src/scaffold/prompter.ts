/** What the scaffolder may ask; the CLI passes a real one only when stdin is a TTY and CI is unset. */
export interface Prompter {
  text(options: { message: string; default?: string; validate?: (value: string) => string | true | Promise<string | true> }): Promise<string>;
  select(options: { message: string; choices: Array<{ value: string; name?: string; description?: string }>; default?: string }): Promise<string>;
  confirm(options: { message: string; default?: boolean }): Promise<boolean>;
}
