'use strict'
// A clearing member's FIX initiator built on jspurefix, an engine independent of the CCP's quickfix.
//
//   node member.js --port 9878 [--host 127.0.0.1] [--sender MEMBER1] [--target CCP]
//
// It logs on (FIXT.1.1, DefaultApplVerID 9 = FIX.5.0 SP2), then runs three steps, each waiting for the
// CCP's answer before the next:
//   trade     a two-stream EUR fixed/float swap as a TradeCaptureReport (AE) in stream fields
//   bad_enum  the same swap with PaymentStreamDayCount(40742)=2, a standard FIX value our ROE excludes
//   bad_value the same swap with a negative StreamNotional(40054)
// and logs out. The message bodies below are objects keyed by FIX field names: jspurefix lays them out,
// repeating groups included, from its own FIX 5.0 SP2 dictionary (its "qf50sp2"), not from ours.
//
// stdout carries one JSON object a line, for tests/channels/fix/test_jspurefix.py:
//   {"event":"sent"|"received","msgType":..,"fix":"8=FIXT.1.1|9=..."}  every message on the wire
//   {"event":"logon","logon":{..}}                                       the CCP's Logon, decoded
//   {"event":"answer","step":..,"msgType":..,"message":{..}}             the answer to a step, decoded
//   {"event":"stopped","error":null|".."}                                the session has ended
// jspurefix's own log goes to stderr. The exit status is 0 only when every step was answered and the
// session ended with a Logout from each side.

require('reflect-metadata')
const path = require('path')
const { AsciiSession, JsFixLoggerFactory, SessionLauncher } = require('jspurefix')

const WATCHDOG_MS = 20000 // never hang the caller: give up (and exit 2) if the CCP stops answering

const LEI_A = '549300VBWWV6BYQOWM67'
const LEI_B = '529900DTJ5A7S5UCBB52'

function option (name, fallback) {
  const at = process.argv.indexOf(`--${name}`)
  return at > 0 && at + 1 < process.argv.length ? process.argv[at + 1] : fallback
}

function emit (record) {
  process.stdout.write(JSON.stringify(record) + '\n')
}

// A calendar date for LocalMktDate fields: jspurefix writes a Date's local year, month and day.
function day (yyyymmdd) {
  return new Date(Number(yyyymmdd.slice(0, 4)), Number(yyyymmdd.slice(4, 6)) - 1, Number(yyyymmdd.slice(6, 8)))
}

const TARGET = { centres: ['EUTA'], convention: 4 } // TARGET, modified following

// One NoStreams entry. pay/receive are the Side (54) values of the paying and receiving party.
function stream ({ pay, receive, notional, dayCount, frequency, rate }) {
  const [period, unit] = frequency
  return {
    StreamType: 0,
    StreamPaySide: pay,
    StreamReceiveSide: receive,
    StreamNotional: notional,
    StreamCurrency: 'EUR',
    StreamEffectiveDate: {
      StreamEffectiveDateUnadjusted: day('20260109'),
      StreamEffectiveDateBusinessDayConvention: TARGET.convention,
      StreamEffectiveDateBusinessCenterGrp: {
        NoStreamEffectiveDateBusinessCenters: TARGET.centres.map(c => ({ StreamEffectiveDateBusinessCenter: c }))
      }
    },
    StreamTerminationDate: {
      StreamTerminationDateUnadjusted: day('20310109'),
      StreamTerminationDateBusinessDayConvention: TARGET.convention,
      StreamTerminationDateBusinessCenterGrp: {
        NoStreamTerminationDateBusinessCenters: TARGET.centres.map(c => ({ StreamTerminationDateBusinessCenter: c }))
      }
    },
    StreamCalculationPeriodDates: {
      StreamCalculationPeriodBusinessDayConvention: TARGET.convention,
      StreamCalculationPeriodBusinessCenterGrp: {
        NoStreamCalculationPeriodBusinessCenters: TARGET.centres.map(c => ({ StreamCalculationPeriodBusinessCenter: c }))
      },
      StreamCalculationFrequencyPeriod: period,
      StreamCalculationFrequencyUnit: unit
    },
    PaymentStream: {
      PaymentStreamType: 0,
      PaymentStreamDayCount: dayCount,
      PaymentStreamPaymentDates: {
        PaymentStreamPaymentDateBusinessDayConvention: TARGET.convention,
        PaymentStreamPaymentDateBusinessCenterGrp: {
          NoPaymentStreamPaymentDateBusinessCenters: TARGET.centres.map(c => ({ PaymentStreamPaymentDateBusinessCenter: c }))
        },
        PaymentStreamPaymentFrequencyPeriod: period,
        PaymentStreamPaymentFrequencyUnit: unit
      },
      ...rate
    }
  }
}

function side (sideValue, lei, name, account, sideTradeId) {
  return {
    Side: sideValue,
    SideTradeID: sideTradeId,
    Parties: {
      NoPartyIDs: [{
        PartyID: lei,
        PartyIDSource: 'N',
        PartyRole: 1,
        PtysSubGrp: { NoPartySubIDs: [{ PartySubID: name, PartySubIDType: 5 }] }
      }]
    },
    ...(account ? { Account: account } : {})
  }
}

// The swap: MEMBER1 (side 1) pays 2.75% annual 30/360 and receives 3M EURIBOR + 10bp quarterly ACT/360
// from side 2, EUR 25m, 9 January 2026 to 9 January 2031, TARGET modified following throughout.
function tradeCaptureReport (reportId, tradeId, { fixedDayCount = 1, floatingNotional = 25000000 } = {}) {
  return {
    TradeReportID: reportId,
    TradeID: tradeId,
    TradeReportTransType: 0,
    TradeReportType: 0,
    RegulatoryTradeIDGrp: {
      NoRegulatoryTradeIDs: [{ RegulatoryTradeID: `UTI-${tradeId}`, RegulatoryTradeIDType: 0 }]
    },
    Instrument: {
      SecurityType: 'IRS',
      SecuritySubType: 'IRS',
      StreamGrp: {
        NoStreams: [
          stream({
            pay: 1,
            receive: 2,
            notional: 25000000,
            dayCount: fixedDayCount,
            frequency: [1, 'Yr'],
            rate: { PaymentStreamFixedRate: { PaymentStreamRate: 0.0275 } }
          }),
          stream({
            pay: 2,
            receive: 1,
            notional: floatingNotional,
            dayCount: 6,
            frequency: [3, 'Mo'],
            rate: {
              PaymentStreamResetDates: {
                PaymentStreamResetFrequencyPeriod: 3,
                PaymentStreamResetFrequencyUnit: 'Mo',
                PaymentStreamFixingDateOffsetPeriod: -2,
                PaymentStreamFixingDateOffsetUnit: 'D',
                PaymentStreamFixingDateOffsetDayType: 0
              },
              PaymentStreamFloatingRate: {
                PaymentStreamRateIndex: 'EUR-EURIBOR-Telerate',
                PaymentStreamRateIndexCurvePeriod: 3,
                PaymentStreamRateIndexCurveUnit: 'Mo',
                PaymentStreamRateSpread: 0.001
              }
            }
          })
        ]
      }
    },
    TradeDate: day('20260107'),
    TransactTime: new Date(),
    TrdCapRptSideGrp: {
      NoSides: [
        side('1', LEI_A, 'Bank A', 'CLIENT1', 'A-77'),
        side('2', LEI_B, 'Bank B', undefined, 'B-77') // a member names only its own account
      ]
    }
  }
}

const STEPS = [
  { step: 'trade', report: () => tradeCaptureReport('JSPF-R1', 'JSPF-IRS-1') },
  { step: 'bad_enum', report: () => tradeCaptureReport('JSPF-R2', 'JSPF-IRS-2', { fixedDayCount: 2 }) },
  { step: 'bad_value', report: () => tradeCaptureReport('JSPF-R3', 'JSPF-IRS-3', { floatingNotional: -5 }) }
]

class StderrLogger {
  constructor (type) { this.type = type }
  write (level, message) { process.stderr.write(`${new Date().toISOString()} ${level} [${this.type}] ${message}\n`) }
  info (message) { this.write('info', message) }
  warning (message) { this.write('warn', message) }
  debug (message) { this.write('debug', message) }
  error (e) { this.write('error', e && e.stack ? e.stack : String(e)) }
}

class StderrLogFactory extends JsFixLoggerFactory {
  logger (type) { return new StderrLogger(type) }
  plain (fileName) { return new StderrLogger(fileName) }
}

class MemberSession extends AsciiSession {
  constructor (config) {
    super(config)
    this.next = 0
    this.answered = []
    this.sentLogout = false
    this.receivedLogout = false
    this.watchdog = setTimeout(() => {
      emit({ event: 'timeout', waiting_for: this.current ? this.current.step : 'logon' })
      process.exit(2)
    }, WATCHDOG_MS)
  }

  sendNextStep () {
    if (this.next >= STEPS.length) {
      this.done() // all answered: Logout, and the session ends when the CCP answers it
      return
    }
    this.current = STEPS[this.next++]
    this.send('AE', this.current.report())
  }

  answer (msgType, view) {
    if (!this.current) return
    emit({ event: 'answer', step: this.current.step, msgType, message: view.toObject() })
    this.answered.push(this.current.step)
    this.current = null
    this.sendNextStep()
  }

  onReady (view) {
    emit({ event: 'logon', logon: view.toObject() })
    this.sendNextStep()
  }

  onApplicationMsg (msgType, view) {
    // AR answers a report; BusinessMessageReject (j) would too. Anything else is only recorded.
    if (msgType === 'AR' || msgType === 'j') this.answer(msgType, view)
  }

  onSessionMsg (msgType, view) {
    if (msgType === '3') this.answer(msgType, view) // a session-level Reject of the report
    super.onSessionMsg(msgType, view)
  }

  onEncoded (msgType, txt) {
    if (msgType === '5') this.sentLogout = true
    emit({ event: 'sent', msgType, fix: txt })
  }

  onDecoded (msgType, txt) {
    if (msgType === '5') this.receivedLogout = true
    emit({ event: 'received', msgType, fix: txt })
  }

  onLogon () {
    return true
  }

  onStopped (error) {
    clearTimeout(this.watchdog)
    emit({ event: 'stopped', error: error ? String(error.message || error) : null })
    const complete = this.answered.length === STEPS.length && this.sentLogout && this.receivedLogout
    process.exitCode = complete ? 0 : 1
  }
}

class MemberLauncher extends SessionLauncher {
  constructor (description) {
    super(description, null, new StderrLogFactory())
  }

  makeFactory () {
    return { makeSession: config => new MemberSession(config) }
  }
}

function description () {
  const base = require(path.join(__dirname, 'session.json'))
  return {
    ...base,
    SenderCompId: option('sender', base.SenderCompId),
    TargetCompID: option('target', base.TargetCompID),
    application: {
      ...base.application,
      tcp: { host: option('host', base.application.tcp.host), port: Number(option('port', '0')) }
    }
  }
}

new MemberLauncher(description()).run().catch(e => {
  emit({ event: 'error', error: String(e && e.message ? e.message : e) })
  process.exit(3)
})
