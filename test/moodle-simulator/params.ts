import { wsErrors } from './errors';

/**
 * A small model of Moodle's external_api::validate_parameters(): every function declares its
 * parameters, values are cleaned with PHP's rules, and a value that cleaning would change, a
 * missing required key or an unexpected key is refused with `invalidparameter`, before the
 * function does anything.
 */
export type ParamType = 'int' | 'float' | 'bool' | 'text' | 'raw' | 'alpha' | 'alphanumext' | 'component';

type Presence = { kind: 'required' } | { kind: 'optional' } | { kind: 'default'; value: unknown };

export type ParamDesc =
  | { kind: 'value'; type: ParamType; presence: Presence }
  | { kind: 'single'; keys: Record<string, ParamDesc>; presence: Presence }
  | { kind: 'multiple'; content: ParamDesc; presence: Presence }
  | { kind: 'any'; presence: Presence };

const REQUIRED: Presence = { kind: 'required' };
export const OPTIONAL: Presence = { kind: 'optional' };
export const withDefault = (value: unknown): Presence => ({ kind: 'default', value });

export const p = {
  int: (presence: Presence = REQUIRED): ParamDesc => ({ kind: 'value', type: 'int', presence }),
  float: (presence: Presence = REQUIRED): ParamDesc => ({ kind: 'value', type: 'float', presence }),
  bool: (presence: Presence = REQUIRED): ParamDesc => ({ kind: 'value', type: 'bool', presence }),
  text: (presence: Presence = REQUIRED): ParamDesc => ({ kind: 'value', type: 'text', presence }),
  raw: (presence: Presence = REQUIRED): ParamDesc => ({ kind: 'value', type: 'raw', presence }),
  alpha: (presence: Presence = REQUIRED): ParamDesc => ({ kind: 'value', type: 'alpha', presence }),
  alphanumext: (presence: Presence = REQUIRED): ParamDesc => ({ kind: 'value', type: 'alphanumext', presence }),
  component: (presence: Presence = REQUIRED): ParamDesc => ({ kind: 'value', type: 'component', presence }),
  single: (keys: Record<string, ParamDesc>, presence: Presence = REQUIRED): ParamDesc => ({ kind: 'single', keys, presence }),
  multiple: (content: ParamDesc, presence: Presence = REQUIRED): ParamDesc => ({ kind: 'multiple', content, presence }),
  /** Accepted as sent, not cleaned (structures the simulator does not model, e.g. advancedgradingdata). */
  any: (presence: Presence = OPTIONAL): ParamDesc => ({ kind: 'any', presence }),
};

/** PHP is_numeric(): optional surrounding whitespace, sign, digits with optional fraction, exponent. */
export function isPhpNumeric(text: string): boolean {
  return /^[ \t\n\r\v\f]*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?[ \t\n\r\v\f]*$/.test(text);
}

function cleanValue(type: ParamType, value: string, path: string): unknown {
  const bad = () => wsErrors.invalidParameter(`${path} => Invalid parameter value detected`);
  switch (type) {
    case 'int':
      // validate_param() compares (string)(int)$value with the value: "04", "+4", "4.0", "" all fail.
      if (!/^-?(0|[1-9]\d*)$/.test(value) || value === '-0') throw bad();
      return Number(value);
    case 'float':
      // validate_param() for PARAM_FLOAT: is_numeric() and this exact regex (so no comma, no spaces).
      if (!isPhpNumeric(value) || !/^[+-]?[0-9]*\.?[0-9]*(e[-+]?[0-9]+)?$/i.test(value)) throw bad();
      return Number(value);
    case 'bool':
      // clean_param(PARAM_BOOL) maps "true"/"yes"/"on" to 1, which then differs from the sent text.
      if (value !== '0' && value !== '1') throw bad();
      return value === '1';
    case 'alpha':
      if (!/^[a-zA-Z]*$/.test(value)) throw bad();
      return value;
    case 'alphanumext':
      if (!/^[a-zA-Z0-9_-]*$/.test(value)) throw bad();
      return value;
    case 'component':
      if (value !== '' && !/^[a-z][a-z0-9]*(_[a-z][a-z0-9_]*)?[a-z0-9]+$/.test(value)) throw bad();
      return value;
    case 'text':
      // PARAM_TEXT strips tags; anything strip_tags() would remove makes the value invalid.
      if (/<[a-zA-Z/!?]/.test(value)) throw bad();
      return value;
    case 'raw':
      return value;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function validate(desc: ParamDesc, value: unknown, path: string): unknown {
  switch (desc.kind) {
    case 'any':
      return value;
    case 'value':
      if (typeof value !== 'string') throw wsErrors.invalidParameter(`${path} => Invalid parameter value detected`);
      return cleanValue(desc.type, value, path);
    case 'multiple': {
      if (!isRecord(value)) throw wsErrors.invalidParameter(`${path} => Only arrays accepted.`);
      return Object.values(value).map((item, i) => validate(desc.content, item, `${path}[${i}]`));
    }
    case 'single': {
      if (!isRecord(value) || Array.isArray(value)) {
        // qs turns `x[0]=…` into an array: Moodle would see unexpected key "0".
        throw wsErrors.invalidParameter(`${path} => Only arrays accepted.`);
      }
      const result: Record<string, unknown> = {};
      const rest = { ...value };
      for (const [key, child] of Object.entries(desc.keys)) {
        if (!(key in rest)) {
          if (child.presence.kind === 'required') {
            throw wsErrors.invalidParameter(`Missing required key in single structure: ${key}`);
          }
          if (child.presence.kind === 'default') result[key] = child.presence.value;
          continue;
        }
        result[key] = validate(child, rest[key], path ? `${path}[${key}]` : key);
        delete rest[key];
      }
      const unexpected = Object.keys(rest);
      if (unexpected.length > 0) {
        throw wsErrors.invalidParameter(`Unexpected keys (${unexpected.join(', ')}) detected in parameter array.`);
      }
      return result;
    }
  }
}

/** Validate a function's top-level parameters (an external_function_parameters single structure). */
export function validateParams<T>(keys: Record<string, ParamDesc>, params: Record<string, unknown>): T {
  return validate(p.single(keys), params, '') as T;
}
