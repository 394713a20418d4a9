/**
 * A question's prompt (docs/protocol.md §8: Markdown, written by the operator, shown to the candidate) rendered as
 * DOM nodes. Text only ever goes in through `textContent` and links only get http(s)/mailto hrefs, so a
 * prompt cannot inject markup or script whatever it contains. No Markdown library is installed and a
 * prompt needs little: headings, paragraphs, lists, quotes, fenced code, inline code, bold, italic, links.
 */

type Block =
  | { kind: 'heading'; level: number; text: string }
  | { kind: 'code'; text: string; lang: string }
  | { kind: 'list'; ordered: boolean; items: string[] }
  | { kind: 'quote'; text: string }
  | { kind: 'rule' }
  | { kind: 'paragraph'; text: string };

const LIST_ITEM = /^\s*(?:([-*+])|(\d+)[.)])\s+(.*)$/;

function blocks(source: string): Block[] {
  const lines = source.replace(/\r\n?/g, '\n').split('\n');
  const out: Block[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    const fence = /^\s*(```|~~~)\s*([\w+-]*)\s*$/.exec(line);
    if (fence) {
      const body: string[] = [];
      i += 1;
      while (i < lines.length && !lines[i]!.trim().startsWith(fence[1]!)) body.push(lines[i++]!);
      i += 1; // the closing fence (or the end of the prompt)
      out.push({ kind: 'code', text: body.join('\n'), lang: fence[2] ?? '' });
      continue;
    }
    if (!line.trim()) {
      i += 1;
      continue;
    }
    const heading = /^(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading) {
      out.push({ kind: 'heading', level: heading[1]!.length, text: heading[2]! });
      i += 1;
      continue;
    }
    if (/^\s*([-*_])(\s*\1){2,}\s*$/.test(line)) {
      out.push({ kind: 'rule' });
      i += 1;
      continue;
    }
    const item = LIST_ITEM.exec(line);
    if (item) {
      const ordered = item[2] !== undefined;
      const items: string[] = [];
      while (i < lines.length) {
        const m = LIST_ITEM.exec(lines[i]!);
        if (m && (m[2] !== undefined) === ordered) items.push(m[3]!);
        else if (lines[i]!.trim() && /^\s{2,}/.test(lines[i]!) && items.length) items[items.length - 1] += ` ${lines[i]!.trim()}`;
        else break;
        i += 1;
      }
      out.push({ kind: 'list', ordered, items });
      continue;
    }
    if (/^\s*>/.test(line)) {
      const quoted: string[] = [];
      while (i < lines.length && /^\s*>/.test(lines[i]!)) quoted.push(lines[i++]!.replace(/^\s*>\s?/, ''));
      out.push({ kind: 'quote', text: quoted.join(' ') });
      continue;
    }
    const para: string[] = [];
    while (i < lines.length && lines[i]!.trim() && !/^(#{1,6}\s|\s*(```|~~~)|\s*>)/.test(lines[i]!) && !LIST_ITEM.test(lines[i]!)) para.push(lines[i++]!.trim());
    out.push({ kind: 'paragraph', text: para.join(' ') });
  }
  return out;
}

/** Inline Markdown: `code`, **bold**, *italic* / _italic_, [text](http(s) or mailto URL). */
const INLINE = /`([^`]+)`|\*\*(.+?)\*\*|__(.+?)__|\*([^*\s](?:[^*]*[^*\s])?)\*|\b_([^_\s](?:[^_]*[^_\s])?)_\b|\[([^\]]+)\]\(([^)\s]+)\)/g;

function safeHref(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    return ['http:', 'https:', 'mailto:'].includes(parsed.protocol) ? parsed.toString() : undefined;
  } catch {
    return undefined; // relative links point nowhere useful from a room
  }
}

function inline(text: string, parent: HTMLElement): void {
  let last = 0;
  for (const m of text.matchAll(INLINE)) {
    if (m.index! > last) parent.append(text.slice(last, m.index));
    last = m.index! + m[0].length;
    if (m[1] !== undefined) {
      const code = document.createElement('code');
      code.textContent = m[1];
      parent.append(code);
    } else if (m[2] !== undefined || m[3] !== undefined) {
      const strong = document.createElement('strong');
      inline(m[2] ?? m[3]!, strong);
      parent.append(strong);
    } else if (m[4] !== undefined || m[5] !== undefined) {
      const em = document.createElement('em');
      inline(m[4] ?? m[5]!, em);
      parent.append(em);
    } else {
      const href = safeHref(m[7]!);
      if (!href) {
        parent.append(m[6]!);
        continue;
      }
      const a = document.createElement('a');
      a.href = href;
      a.target = '_blank';
      a.rel = 'noopener noreferrer';
      a.textContent = m[6]!;
      parent.append(a);
    }
  }
  if (last < text.length) parent.append(text.slice(last));
}

/** The prompt as a fragment of elements built from text: safe to append anywhere. */
export function renderMarkdown(source: string): DocumentFragment {
  const fragment = document.createDocumentFragment();
  for (const block of blocks(source)) {
    let el: HTMLElement;
    switch (block.kind) {
      case 'heading':
        // A prompt's headings sit below the panel's own h2/h3.
        el = document.createElement(`h${Math.min(6, block.level + 3)}`);
        inline(block.text, el);
        break;
      case 'code': {
        el = document.createElement('pre');
        const code = document.createElement('code');
        code.textContent = block.text;
        if (block.lang) code.dataset.lang = block.lang;
        el.append(code);
        break;
      }
      case 'list':
        el = document.createElement(block.ordered ? 'ol' : 'ul');
        for (const text of block.items) {
          const li = document.createElement('li');
          inline(text, li);
          el.append(li);
        }
        break;
      case 'quote':
        el = document.createElement('blockquote');
        inline(block.text, el);
        break;
      case 'rule':
        el = document.createElement('hr');
        break;
      default:
        el = document.createElement('p');
        inline(block.text, el);
    }
    fragment.append(el);
  }
  return fragment;
}
