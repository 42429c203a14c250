// The detail dialog's faces: what each offers, and the list after one is enrolled.
import { test } from "node:test";
import assert from "node:assert/strict";
import { faceState, withEnrolled } from "../src/detail.js";

test("a face offers its name, enrolment, or nothing once its face is gone", () => {
  assert.equal(faceState({ track_id: 1, known: true, name: "Alex", enrollable: true }), "known");
  assert.equal(faceState({ track_id: 2, known: false, name: null, enrollable: true }), "enrollable");
  assert.equal(faceState({ track_id: 3, known: false, name: null, enrollable: false }), "gone");
});

test("the enrolled face turns known under its name, the others stay as they were", () => {
  const faces = [
    { track_id: 1, known: false, name: null, enrollable: true },
    { track_id: 2, known: false, name: null, enrollable: true },
  ];
  assert.deepEqual(withEnrolled(faces, 2, "Alex"), [
    faces[0],
    { track_id: 2, known: true, name: "Alex", enrollable: false },
  ]);
  assert.deepEqual(faces[1].known, false);
  assert.deepEqual(withEnrolled(undefined, 1, "Alex"), []);
});
