import test from 'ava';
import { composeBb84Link, composeMdiSides, passiveConverter, activeConverter, combineErrors, REFERENCE_ENCODERS, REFERENCE_SPD } from '../../protocols/physics/devices.ts';
import { bb84Optimise } from '../../protocols/keyrate/bb84-optimise.ts';

const rx = { detector: REFERENCE_SPD };

test('passive converter costs 3 dB at the server and nothing at the source', t => {
  const conv = passiveConverter(0, 0.002);
  const atSource = composeBb84Link({ encoder: REFERENCE_ENCODERS.pha, converter: conv, placement: 'source' }, { lengthKm: 30 }, rx);
  const atServer = composeBb84Link({ encoder: REFERENCE_ENCODERS.pha, converter: conv, placement: 'server' }, { lengthKm: 30 }, rx);
  const none = composeBb84Link({ encoder: REFERENCE_ENCODERS.pha }, { lengthKm: 30 }, rx);
  t.true(Math.abs(atSource.etaCh - 10 ** -0.6) < 1e-12);
  t.true(Math.abs(atServer.etaCh / atSource.etaCh - 0.5) < 1e-12);
  // both placements carry the converter's misalignment
  t.true(Math.abs(atSource.eMis - combineErrors(0.004, 0.002)) < 1e-15);
  t.is(atServer.eMis, atSource.eMis);
  t.true(none.eMis < atSource.eMis);
  t.is(atSource.etaDet, 0.2);
});

test('the optimiser sees the placement: a source converter yields more key than a server one', t => {
  const conv = passiveConverter();
  const mk = (placement: 'source' | 'server') => bb84Optimise({ link: composeBb84Link({ encoder: REFERENCE_ENCODERS.tbp, converter: conv, placement }, { lengthKm: 60 }, rx), f: 1.16, pulses: 1e10, qXBob: 0.5 });
  const src = mk('source'), srv = mk('server');
  t.true(src.secretBits > 1.5 * srv.secretBits);
});

test('active converter: insertion loss instead of 3 dB', t => {
  const a = composeBb84Link({ encoder: REFERENCE_ENCODERS.pol, converter: activeConverter(1.0, 0), placement: 'server' }, { lengthKm: 0 }, rx);
  t.true(Math.abs(a.etaCh - 10 ** -0.1) < 1e-12);
});

test('MDI sides include fibre, server converter and detector efficiency', t => {
  const s = composeMdiSides({ encoder: REFERENCE_ENCODERS.pol }, { lengthKm: 25 }, { encoder: REFERENCE_ENCODERS.tbp, converter: passiveConverter(0, 0), placement: 'server' }, { lengthKm: 25 }, rx);
  t.true(Math.abs(s.etaA - 10 ** -0.5 * 0.2) < 1e-12);
  t.true(Math.abs(s.etaB - 10 ** -0.5 * 0.2 * 0.5) < 1e-12);
  t.is(s.pDark, 1e-6);
  t.true(Math.abs(s.eMis - combineErrors(0.003, 0.004)) < 1e-15);
});
