/**
 * The dev stack's picture in the docs (tools/docs/diagram.ts): docs/command.md's Mermaid block and
 * docs/diagram-dev.svg, which the README shows, are what `dockyard diagram dev` draws today; `npm run
 * docs` rewrites both.
 */
import * as fs from "fs";
import { Picture } from "../../cli/picture";
import {
  BEGIN,
  COMMAND_DOC,
  commandDoc,
  DIAGRAM_SVG,
  devPicture,
  dotHash,
  END,
  mermaidBlock,
  stamp,
  stampedHash,
  stampedSvg,
} from "../../tools/docs/diagram";

let picture: Picture;
beforeAll(() => {
  picture = devPicture();
});

describe("docs/command.md's picture of the dev stack", () => {
  test("is the Mermaid flowchart dockyard diagram dev writes (npm run docs rewrites it)", () => {
    const current = fs.readFileSync(COMMAND_DOC, "utf8");
    const begin = current.indexOf(BEGIN);
    const end = current.indexOf(END);
    expect([begin >= 0, end > begin]).toEqual([true, true]);
    expect(current.slice(begin, end + END.length)).toBe(mermaidBlock(picture));
  });

  test("commandDoc replaces only the part between the markers", () => {
    const doc = `# The command\n\nbefore\n\n${BEGIN}\nstale\n${END}\n\nafter\n`;
    expect(commandDoc(doc, picture)).toBe(`# The command\n\nbefore\n\n${mermaidBlock(picture)}\n\nafter\n`);
    expect(() => commandDoc("# The command\n", picture)).toThrow(`docs/command.md has no lines ${BEGIN} ... ${END}`);
  });
});

describe("docs/diagram-dev.svg", () => {
  const svg = fs.readFileSync(DIAGRAM_SVG, "utf8");

  test("was rendered from the dot source dockyard diagram dev writes today (npm run docs rewrites it)", () => {
    expect(stampedHash(svg)).toBe(dotHash(picture));
  });

  test("is Graphviz's SVG, stamped after its XML declaration, showing every service", () => {
    expect(svg.split("\n").slice(0, 2)).toEqual(['<?xml version="1.0" encoding="UTF-8" standalone="no"?>', stamp(dotHash(picture))]);
    for (const name of ["vote", "result", "worker", "redis", "db"]) expect(svg).toContain(`>${name}</text>`);
  });

  test("holds no comment an XML parser refuses (a browser shows nothing of such a file)", () => {
    const comments = [...svg.matchAll(/<!--([\s\S]*?)-->/g)].map((match) => match[1]);
    expect(comments.length).toBeGreaterThan(0);
    expect(comments.filter((comment) => comment.includes("--") || comment.endsWith("-"))).toEqual([]);
  });

  test("a new rendering carries the stamp of its source", () => {
    expect(stampedHash(stampedSvg(picture))).toBe(dotHash(picture));
  });
});
