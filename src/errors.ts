/**
 * An error that stops start-up. Its message is one line that tells the operator what to fix;
 * the entry point prints it without a stack trace and exits with status 78 (EX_CONFIG).
 */
export class StartupError extends Error {
  override readonly name = 'StartupError';
  constructor(message: string, readonly hint?: string, options?: { cause?: unknown }) {
    super(message, options);
  }

  /** The single line shown to the operator. */
  get line(): string {
    return this.hint ? `${this.message} — ${this.hint}` : this.message;
  }
}
