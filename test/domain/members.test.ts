import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { membershipChangeOf, withMember, withoutMember } from "../../src/domain/members.js";

const sorted = (list: readonly string[]) => [...list].sort();

describe("a group's members", () => {
  it("joining inserts in sorted place and leaving removes, never touching the list they came from", () => {
    const before = ["al", "cy", "ed"];
    const joined = withMember(before, "bo");
    expect(joined).toEqual(["al", "bo", "cy", "ed"]);
    expect(withMember(before, "aa")).toEqual(["aa", "al", "cy", "ed"]);
    expect(withMember(before, "zz")).toEqual(["al", "cy", "ed", "zz"]);
    expect(withoutMember(joined, "cy")).toEqual(["al", "bo", "ed"]);
    expect(withoutMember(joined, "al")).toEqual(["bo", "cy", "ed"]);
    expect(withoutMember(joined, "ed")).toEqual(["al", "bo", "cy"]);
    expect(before).toEqual(["al", "cy", "ed"]);
    expect(joined).toEqual(["al", "bo", "cy", "ed"]);
  });

  it("a list out of order still loses exactly the login that leaves", () => {
    expect(withoutMember(["cy", "al", "bo"], "al")).toEqual(["cy", "bo"]);
    expect(withoutMember(["al"], "bo")).toEqual(["al"]);
  });

  it("names the change only against the list it was made from", () => {
    const before = ["al", "cy"];
    const joined = withMember(before, "bo");
    expect(membershipChangeOf(before, joined)).toEqual({ from: before, added: ["bo"], dropped: [] });
    expect(membershipChangeOf(["al", "cy"], joined)).toBeNull();
    expect(membershipChangeOf(before, ["al", "bo", "cy"])).toBeNull();
    const left = withoutMember(joined, "al");
    expect(membershipChangeOf(joined, left)).toEqual({ from: joined, added: [], dropped: ["al"] });
    expect(membershipChangeOf(before, left)).toBeNull();
  });

  it("any run of joins and leaves keeps the list sorted, and each named change is the true difference", () => {
    const login = fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,5}$/);
    fc.assert(
      fc.property(
        fc.uniqueArray(login, { maxLength: 20 }),
        fc.array(fc.tuple(fc.boolean(), login), { maxLength: 40 }),
        (start, moves) => {
          let members = sorted(start);
          for (const [join, who] of moves) {
            const before = members;
            if (join && before.includes(who)) continue;
            members = join ? withMember(before, who) : withoutMember(before, who);
            expect(members).toEqual(sorted(join ? [...before, who] : before.filter((m) => m !== who)));
            const change = membershipChangeOf(before, members);
            const truth = {
              added: members.filter((m) => !before.includes(m)),
              dropped: before.filter((m) => !members.includes(m)),
            };
            expect({ added: change?.added, dropped: change?.dropped }).toEqual(truth);
          }
        },
      ),
    );
  });
});
