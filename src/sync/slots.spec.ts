import { Slots } from './slots';

describe('Slots', () => {
  it('lets `size` holders in, the next ones in order as slots are given back, each give-back counting once', async () => {
    const slots = new Slots(2);
    const first = await slots.take();
    const second = await slots.take();
    const order: string[] = [];
    const third = slots.take().then((give) => (order.push('third'), give));
    const fourth = slots.take().then((give) => (order.push('fourth'), give));
    await Promise.resolve();
    expect(order).toEqual([]);
    first();
    first();
    const giveThird = await third;
    expect(order).toEqual(['third']);
    second();
    const giveFourth = await fourth;
    expect(order).toEqual(['third', 'fourth']);
    giveThird();
    giveFourth();
    const again = await Promise.race([slots.take().then(() => 'taken'), new Promise((r) => setTimeout(() => r('waiting'), 20))]);
    expect(again).toBe('taken');
  });
});
