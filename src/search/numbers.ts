// Numbers spoken as words (voice messages arrive as transcripts such as
// "айфон тринадцать мини" or "самсунг а семьдесят один").

/** One spoken number component: a value word or a multiplier word. */
export type NumberPart = { value: number; multiplier: false } | { value: number; multiplier: true };

/**
 * Folds a run of number words into numbers. Components add up while they go
 * from larger to smaller places (пятьдесят + один = 51, сто + двадцать = 120);
 * "тысяча" multiplies what precedes it (две тысячи двадцать = 2020). A
 * component that cannot continue the current number starts a new one, so
 * "пять шесть" stays two numbers.
 */
export function foldNumberWords(parts: NumberPart[]): number[] {
  const out: number[] = [];
  let total = 0; // completed thousands
  let group = 0; // current sub-thousand group
  let lastPlace = Infinity; // place value (1, 10, 100) of the last component
  let open = false;
  const flush = () => {
    if (open) out.push(total + group);
    total = 0;
    group = 0;
    lastPlace = Infinity;
    open = false;
  };
  for (const p of parts) {
    if (p.multiplier) {
      total += (group || 1) * p.value;
      group = 0;
      lastPlace = p.value;
      open = true;
      continue;
    }
    const place = placeOf(p.value);
    if (open && place >= lastPlace) flush();
    if (open && lastPlace === 10 && p.value >= 10) flush(); // "двадцать одиннадцать" is two numbers
    group += p.value;
    lastPlace = p.value >= 10 && p.value < 20 ? 1 : place; // teens close the tens and units places
    open = true;
  }
  flush();
  return out;
}

function placeOf(v: number): number {
  if (v >= 100) return 100;
  if (v >= 20) return 10;
  if (v >= 10) return 10;
  return 1;
}
