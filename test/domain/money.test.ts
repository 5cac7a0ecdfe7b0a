import { describe, expect, it } from "vitest";
import {
  addDays,
  DAYS_PER_PERIOD,
  dayNumber,
  dayOf,
  daysLeft,
  formatEuro,
  prorateChange,
  unusedRefund,
} from "../../src/domain/index.js";
import { NOW, TODAY } from "../support/builders.js";

describe("days", () => {
  it("a day is the UTC calendar day", () => {
    expect(dayOf(NOW)).toBe(TODAY);
    expect(dayOf(new Date("2026-03-01T23:59:59.999Z"))).toBe("2026-03-01");
    expect(dayOf(new Date("2026-03-01T00:00:00+02:00"))).toBe("2026-02-28");
  });

  it("a period is 365 days, across month and year ends", () => {
    expect(DAYS_PER_PERIOD).toBe(365);
    expect(addDays("2026-03-01", 365)).toBe("2027-03-01");
    expect(addDays("2027-03-01", 365)).toBe("2028-02-29"); // 2028 is a leap year
    expect(addDays("2026-01-31", 1)).toBe("2026-02-01");
    expect(addDays("2026-03-01", -1)).toBe("2026-02-28");
    expect(dayNumber("1970-01-02")).toBe(1);
  });

  it("days left counts whole days to the period end and is never negative", () => {
    expect(daysLeft("2027-03-01", TODAY)).toBe(365);
    expect(daysLeft("2026-06-09", TODAY)).toBe(100);
    expect(daysLeft(TODAY, TODAY)).toBe(0);
    expect(daysLeft("2026-02-01", TODAY)).toBe(0);
  });
});

describe("prorateChange: delta = (new - old) * days_left / 365", () => {
  it("a charge rounds up to the cent (returned negative: money leaves the wallet)", () => {
    // entry → pro over 100 days: 4800 * 100 / 365 = 1315.07 → 1316
    expect(prorateChange(4200, 9000, 100)).toBe(-1316);
    // free → ultra over 100 days: 30000 * 100 / 365 = 8219.18 → 8220
    expect(prorateChange(0, 30000, 100)).toBe(-8220);
    // 1 cent of difference over 1 day: 1/365 → 1
    expect(prorateChange(100, 101, 1)).toBe(-1);
  });

  it("a refund rounds down (returned positive: money comes back)", () => {
    expect(prorateChange(9000, 4200, 100)).toBe(1315);
    expect(prorateChange(30000, 0, 100)).toBe(8219);
    expect(prorateChange(101, 100, 1)).toBe(0);
  });

  it("exact amounts are not rounded", () => {
    expect(prorateChange(4200, 9000, 365)).toBe(-4800);
    expect(prorateChange(9000, 4200, 365)).toBe(4800);
    // 4800 * 73 / 365 = 960 exactly
    expect(prorateChange(4200, 9000, 73)).toBe(-960);
    expect(prorateChange(9000, 4200, 73)).toBe(960);
  });

  it("no days left or no price difference moves nothing", () => {
    expect(prorateChange(4200, 9000, 0)).toBe(0);
    expect(prorateChange(9000, 9000, 200)).toBe(0);
  });

  it("the charge and the refund of the same change never favour the organization", () => {
    for (let left = 0; left <= 365; left++) {
      const charge = -prorateChange(4200, 30000, left);
      const refund = prorateChange(30000, 4200, left);
      const exact = ((30000 - 4200) * left) / 365;
      expect(charge).toBeGreaterThanOrEqual(exact);
      expect(charge - exact).toBeLessThan(1);
      expect(refund).toBeLessThanOrEqual(exact);
      expect(exact - refund).toBeLessThan(1);
      expect(Number.isInteger(charge) && Number.isInteger(refund)).toBe(true);
    }
  });
});

describe("unusedRefund: floor(price * days_left / 365)", () => {
  it("rounds down", () => {
    // 9000 * 100 / 365 = 2465.75 → 2465
    expect(unusedRefund(9000, 100)).toBe(2465);
    // 4200 * 306 / 365 = 3521.09 → 3521
    expect(unusedRefund(4200, 306)).toBe(3521);
    // 30000 * 1 / 365 = 82.19 → 82
    expect(unusedRefund(30000, 1)).toBe(82);
  });

  it("is the full price on the first day and nothing at the end", () => {
    expect(unusedRefund(9000, 365)).toBe(9000);
    expect(unusedRefund(9000, 0)).toBe(0);
    expect(unusedRefund(0, 200)).toBe(0);
  });
});

describe("formatEuro", () => {
  it("prints cents as euros with two decimals", () => {
    expect(formatEuro(0)).toBe("€0.00");
    expect(formatEuro(5)).toBe("€0.05");
    expect(formatEuro(123450)).toBe("€1,234.50");
    expect(formatEuro(-300)).toBe("-€3.00");
    expect(formatEuro(100_000_000)).toBe("€1,000,000.00");
  });
});
