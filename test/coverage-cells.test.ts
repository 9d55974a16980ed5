import { describe, expect, it } from 'vitest';
import { foldDays } from '../cli/coverage-cells.js';
import type { DayState } from '../read-model/coverage-states.js';

const DAY = 86_400_000;
const from = Date.UTC(2026, 0, 1);
const history = (states: DayState[]) => states.map((state, index) => ({ day: from + index * DAY, state }));

describe('coverage folds a history wider than the terminal', () => {
  it('keeps a cell a day where it fits, and always in a pipe', () => {
    const days = history(['complete', 'missing', 'complete']);
    expect(foldDays(days, 3)).toEqual({ span: 'day', cells: '#.#' });
    expect(foldDays(history(Array<DayState>(400).fill('complete')), undefined).cells).toHaveLength(400);
  });

  it('folds into weeks, the worst day of each showing, so one failed day in a complete week is seen', () => {
    const states = Array<DayState>(21).fill('complete');
    states[9] = 'failed';
    states[15] = 'provisional';
    expect(foldDays(history(states), 10)).toEqual({ span: 'week', cells: '#X~' });
    // Missing outranks running, running provisional, provisional not-yet-synced, and that complete.
    expect(foldDays(history(['complete', 'running', 'missing', 'complete', 'complete', 'complete', 'complete', 'pending', 'complete']), 2)).toEqual({ span: 'week', cells: '. ' });
  });

  it('folds a year into months where even weeks do not fit', () => {
    const states = Array<DayState>(365).fill('complete');
    states[40] = 'missing';
    const folded = foldDays(history(states), 20);
    expect(folded).toEqual({ span: 'month', cells: '#.##########' });
  });
});
