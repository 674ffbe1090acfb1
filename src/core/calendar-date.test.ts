import { describe, expect, it } from 'vitest';
import { isCalendarDate } from './calendar-date.js';

describe('isCalendarDate', () => {
  it('takes days that exist, leap days in leap years included', () => {
    for (const d of ['2024-10-21', '2024-02-29', '2000-02-29', '2023-06-01', '1999-12-31'])
      expect(isCalendarDate(d), d).toBe(true);
  });

  it('refuses months and days that do not exist, and other shapes', () => {
    for (const d of [
      '2024-13-45',
      '2024-00-10',
      '2024-01-00',
      '2024-04-31',
      '2023-02-29',
      '1900-02-29',
      '2024-02-30',
      '2024-1-1',
      '2024-10-21-preview',
      ' 2024-10-21',
      'banana',
      '',
    ])
      expect(isCalendarDate(d), d).toBe(false);
  });
});
