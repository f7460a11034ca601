/** AND-ed SQL conditions with positional parameters, so filters are built once for a SELECT and an UPDATE alike. */
export class SqlWhere {
  readonly params: unknown[] = [];
  private readonly conditions: string[] = [];

  /** `fragment` receives a function that binds a value and returns its placeholder ($n). */
  add(fragment: (bind: (value: unknown) => string) => string): this {
    this.conditions.push(fragment((value) => {
      this.params.push(value);
      return `$${this.params.length}`;
    }));
    return this;
  }

  bind(value: unknown): string {
    this.params.push(value);
    return `$${this.params.length}`;
  }

  get sql(): string {
    return this.conditions.length === 0 ? 'TRUE' : this.conditions.join(' AND ');
  }
}
