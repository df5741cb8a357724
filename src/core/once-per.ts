/** `fn` computed once per object, remembered for as long as the object lives. */
export function oncePer<K extends object, V>(fn: (k: K) => V): (k: K) => V {
  const seen = new WeakMap<K, V>();
  return (k) => {
    let v = seen.get(k);
    if (v === undefined) {
      v = fn(k);
      seen.set(k, v);
    }
    return v;
  };
}
