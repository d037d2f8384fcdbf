/**
 * A tiny element builder. Everything the collector sends (scenario and event names, details) is untrusted: it only
 * ever becomes text (textContent) or an attribute value, never markup, so no stored event can inject script.
 */
export type Child = Node | string | number | null | undefined | false;

type Attrs = Record<string, string | number | boolean | undefined | ((ev: Event) => void)>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs?: Attrs | null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [name, value] of Object.entries(attrs)) {
      if (value === undefined || value === false) continue;
      if (typeof value === 'function') el.addEventListener(name.slice(2), value);
      else el.setAttribute(name, value === true ? '' : String(value));
    }
  }
  append(el, children);
  return el;
}

export function append(el: Element, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === 'number' ? String(c) : c);
  }
}

/** Replace an element's content. */
export function fill(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}

/** A labelled select; `onchange` gets the new value. */
export function select(id: string, label: string, options: readonly (readonly [value: string, text: string])[], value: string, onchange: (v: string) => void): HTMLElement {
  const s = h('select', { id, name: id });
  for (const [v, text] of options) s.append(h('option', { value: v, selected: v === value }, text));
  s.addEventListener('change', () => onchange(s.value));
  return h('div', { class: 'field' }, h('label', { for: id }, label), s);
}
