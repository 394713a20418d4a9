/**
 * The shared editor: CodeMirror 6 bound to the connection's Y.Text and awareness by y-codemirror.next
 * (others' cursors and selections with their names). Language packs load on demand (esbuild splits
 * them out), so the room's first load carries only the editor core.
 */
import { basicSetup } from 'codemirror';
import { indentWithTab } from '@codemirror/commands';
import { Compartment, EditorState, type Extension } from '@codemirror/state';
import { EditorView, keymap } from '@codemirror/view';
import { yCollab } from 'y-codemirror.next';
import * as Y from 'yjs';
import type { Awareness } from 'y-protocols/awareness';
import type { Connection } from '../../client/src/index.js';

const MODES: Record<string, () => Promise<Extension>> = {
  javascript: async () => (await import('@codemirror/lang-javascript')).javascript(),
  typescript: async () => (await import('@codemirror/lang-javascript')).javascript({ typescript: true }),
  python: async () => (await import('@codemirror/lang-python')).python(),
  java: async () => (await import('@codemirror/lang-java')).java(),
  cpp: async () => (await import('@codemirror/lang-cpp')).cpp(),
  c: async () => (await import('@codemirror/lang-cpp')).cpp(),
  go: async () => (await import('@codemirror/lang-go')).go(),
  rust: async () => (await import('@codemirror/lang-rust')).rust(),
};

/**
 * Remote cursors show their owner's name while that person moves or types, and for 2.5 s after; then the
 * label fades (it sits over the line above, and a cursor at rest must not hide code), and comes back on
 * hover. y-codemirror.next alone shows it on hover only, so a reader would not know whose cursor it is.
 */
const NAME_SHOWN_MS = 2500;
const namedCursors = EditorView.theme({
  '.cm-ySelectionInfo': { fontFamily: 'system-ui, sans-serif', top: '-1.25em', transition: 'opacity .4s ease-in-out' },
  '&.cm-names-shown .cm-ySelectionInfo': { opacity: '1', transitionDelay: '0s' },
  // Room above the first line for a name label.
  '.cm-content': { paddingTop: '14px' },
});

/**
 * Shows the names while any other participant's cursor or selection changes (awareness `change`, not the
 * heartbeats) or their typing changes the text: a typist's shared cursor is kept relative to the character
 * after it, so typing alone may leave their awareness state as it was.
 */
function flashNames(view: EditorView, awareness: Awareness, text: Y.Text): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const flash = () => {
    view.dom.classList.add('cm-names-shown');
    clearTimeout(timer);
    timer = setTimeout(() => view.dom.classList.remove('cm-names-shown'), NAME_SHOWN_MS);
  };
  const onChange = ({ added, updated }: { added: number[]; updated: number[] }) => {
    if ([...added, ...updated].some((id) => id !== awareness.clientID)) flash();
  };
  const onText = (_event: Y.YTextEvent, transaction: Y.Transaction) => {
    if (!transaction.local) flash();
  };
  awareness.on('change', onChange);
  text.observe(onText);
  return () => {
    clearTimeout(timer);
    awareness.off('change', onChange);
    text.unobserve(onText);
  };
}

/** A language's CodeMirror mode, loaded on demand (no mode for an unknown language). */
export async function languageMode(language: string): Promise<Extension> {
  const load = MODES[language];
  return load ? load() : [];
}

export interface SharedEditor {
  view: EditorView;
  setLanguage(language: string): Promise<void>;
  setReadOnly(readOnly: boolean): void;
}

export interface EditorOptions {
  /** Called with the size of every paste into the editor (the candidate's activity report, docs/protocol.md §10). */
  onPaste?: (chars: number) => void;
}

export function createEditor(parent: HTMLElement, connection: Connection, label: string, options: EditorOptions = {}): SharedEditor {
  return bindEditor(parent, connection.text, connection.awareness, label, [namedCursors], options);
}

/** The interviewers' notes (docs/protocol.md §10): the same binding on the notes text, plain prose, no cursors. */
export function createNotesEditor(parent: HTMLElement, connection: Connection, label: string): SharedEditor {
  return bindEditor(parent, connection.notes, null, label, [EditorView.lineWrapping]);
}

function bindEditor(parent: HTMLElement, text: Y.Text, awareness: Awareness | null, label: string, extra: Extension[], options: EditorOptions = {}): SharedEditor {
  const mode = new Compartment();
  const readOnly = new Compartment();
  const undoManager = new Y.UndoManager(text);
  const onPaste = options.onPaste;
  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc: text.toString(),
      extensions: [
        basicSetup,
        // Tab indents; Escape then Tab leaves the editor (CodeMirror's documented keyboard escape hatch).
        keymap.of([indentWithTab]),
        mode.of([]),
        readOnly.of(EditorState.readOnly.of(false)),
        yCollab(text, awareness, { undoManager }),
        ...extra,
        EditorView.contentAttributes.of({ 'aria-label': label }),
        onPaste
          ? EditorView.domEventHandlers({
              paste(event, pasteView) {
                // A read-only editor (locked by the interviewer) takes nothing in: nothing to report.
                if (!pasteView.state.readOnly) onPaste(event.clipboardData?.getData('text/plain').length ?? 0);
                return false; // CodeMirror still inserts it
              },
            })
          : [],
      ],
    }),
  });
  if (awareness) flashNames(view, awareness, text);
  let requested = '';
  return {
    view,
    async setLanguage(language) {
      requested = language;
      const extension = await languageMode(language);
      if (requested !== language) return; // a later change won while this pack loaded
      view.dispatch({ effects: mode.reconfigure(extension) });
    },
    setReadOnly(value) {
      view.dispatch({ effects: readOnly.reconfigure([EditorState.readOnly.of(value), EditorView.editable.of(!value)]) });
    },
  };
}
