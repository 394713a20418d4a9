/** A few lines of DOM building: the app is small enough that a framework would outweigh it. */
type Child = Node | string | null | undefined | false;
type Attrs = Record<string, string | boolean | number | EventListener | undefined>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (typeof value === 'function') el.addEventListener(name.replace(/^on/, ''), value);
    else if (name === 'testid') el.dataset.testid = String(value);
    else if (value === true) el.setAttribute(name, '');
    else if (name in el && name !== 'list' && name !== 'for') (el as unknown as Record<string, unknown>)[name] = value;
    else el.setAttribute(name, String(value));
  }
  for (const child of children) if (child) el.append(child);
  return el;
}

/** A labelled form control: the label is a real <label for>, so screen readers and clicks find it. */
export function field(id: string, label: string, control: HTMLElement): HTMLElement {
  control.id = id;
  return h('div', { class: 'field' }, h('label', { for: id }, label), control);
}

/** A participant's name: the server names those who gave none by their role ("candidate"): capitalise that. */
export function displayName(username: string | undefined, role?: string): string {
  const name = username || role || 'someone';
  return name === role ? name.charAt(0).toUpperCase() + name.slice(1) : name;
}

export function clear(el: Element): void {
  while (el.firstChild) el.firstChild.remove();
}
