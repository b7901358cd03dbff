// Plain scalars and what kube-apiserver v1.37.2 (`npm run peers`) did with each as an annotation
// value (`x: VALUE` in a ConfigMap, `kubectl create --dry-run=server`): stored as the string VALUE;
// stored as "" (a null); or refused because sigs.k8s.io/yaml made a bool or a number of it
// ("cannot unmarshal … into … of type string", or "unsupported value: NaN" for .nan and .inf).
export const STRINGS = ["2024-01-01", "2024-01-01T10:00:00Z", "2001-12-14t21:59:43.10-05:00", "2001-12-14 21:59:43.10 -5", "2002-12-14", "2024-1-1",
  "tRue", "1:20", "1:20.5", "190:20:30", "12:30:00", "_1", "1.2.3", "<<", "=", "0x", "0b", "0xG", "1,000", "1e400", "0x10000000000000000"];
export const NULLS = ["~", "null", "Null", "NULL", ""];
export const NOT_STRINGS = ["y", "Y", "n", "N", "yes", "Yes", "YES", "no", "on", "On", "ON", "off", "true", "True", "TRUE", "false",
  "0x1F", "0o17", "0O17", "0b101", "-0b101", "0755", "08", "09.5", "1_000", "1__0", "+12", "-0", "+0x10",
  "1e3", "1E3", "1e+3", "1.5e3", "1.", ".5", "-.5", "+.5", ".nan", ".NaN", ".inf", "-.inf", "+.inf", "0.", "1_0.5",
  "9223372036854775807", "9223372036854775808", "18446744073709551615", "18446744073709551616", "123456789012345678901234567890",
  "3.14", "6.8523015e+5", "685.230_15e+03", "685_230.15", "0.5e-3", "-1.5E-3"];

