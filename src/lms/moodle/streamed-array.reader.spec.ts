import { StreamedArrayReader } from './streamed-array.reader';

/** Feeds `text` in pieces of `size` characters and collects what the reader hands on. */
function read(text: string, size: number) {
  const elements: unknown[] = [];
  const reader = new StreamedArrayReader('usergrades', (e) => elements.push(e));
  for (let i = 0; i < text.length; i += size) reader.push(text.slice(i, i + size));
  return { elements, answer: reader.end() };
}

describe('StreamedArrayReader', () => {
  const usergrades = [
    { userid: 4, userfullname: 'Ann "Q" {brace} [bracket] \\ back', gradeitems: [{ id: 2, graderaw: 77.5, feedback: '<p>a, b</p>' }] },
    { userid: 5, userfullname: 'B\u00e9a \u2603', gradeitems: [] },
    { userid: 6, userfullname: '', gradeitems: [{ id: 2, graderaw: null, nested: [[1], { x: '}' }] }] },
  ];
  const answer = JSON.stringify({ usergrades, warnings: [{ item: 'x', message: 'careful ]' }] });

  it.each([1, 2, 3, 7, 64, answer.length])('hands on every element and the rest, whatever the chunk size (%i)', (size) => {
    const { elements, answer: end } = read(answer, size);
    expect(elements).toEqual(usergrades);
    expect(end).toEqual({ streamed: true, rest: { warnings: [{ item: 'x', message: 'careful ]' }] } });
  });

  it('reads an empty array and an answer with nothing after the array', () => {
    expect(read('{"usergrades":[],"warnings":[]}', 4)).toEqual({ elements: [], answer: { streamed: true, rest: { warnings: [] } } });
    expect(read(' {"usergrades":[{"a":1}]}', 5)).toEqual({ elements: [{ a: 1 }], answer: { streamed: true, rest: {} } });
  });

  it('keeps any other answer whole for the ordinary parser', () => {
    const error = '{"exception":"moodle_exception","errorcode":"invalidtoken","message":"Invalid token"}';
    expect(read(error, 3)).toEqual({ elements: [], answer: { streamed: false, text: error } });
    expect(read('<html>Maintenance</html>', 5)).toEqual({ elements: [], answer: { streamed: false, text: '<html>Maintenance</html>' } });
    expect(read('{"usergra', 2)).toEqual({ elements: [], answer: { streamed: false, text: '{"usergra' } });
  });

  it('refuses an answer cut off inside the array, or an array of something other than objects', () => {
    expect(() => read('{"usergrades":[{"a":1},{"b":', 4)).toThrow(SyntaxError);
    expect(() => read('{"usergrades":[1,2]}', 4)).toThrow(SyntaxError);
    expect(() => read('{"usergrades":[{"a":1}', 4)).toThrow(SyntaxError);
  });
});
