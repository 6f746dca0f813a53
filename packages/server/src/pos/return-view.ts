import { formatMoneyFor, shortReference, type PaymentStatus } from '@paystate/core';
import type { PaymentRecord, RefundRecord } from './store.js';

export type ReturnPageLanguage = 'fr' | 'en';

/** What a restaurant's customer reads after paying by phone, in French and English. */
const statusTexts: Record<PaymentStatus, { fr: string; en: string; title: { fr: string; en: string } }> = {
  pending: {
    fr: 'Nous attendons la confirmation de votre paiement…',
    en: 'Waiting for your payment to be confirmed…',
    title: { fr: 'Paiement en attente', en: 'Payment pending' },
  },
  processing: {
    fr: 'Votre paiement est en cours de vérification…',
    en: 'Your payment is being checked…',
    title: { fr: 'Vérification', en: 'Being checked' },
  },
  success: {
    fr: 'Paiement reçu. Merci !',
    en: 'Payment received. Thank you!',
    title: { fr: 'Paiement reçu', en: 'Payment received' },
  },
  failed: {
    fr: "Le paiement n'a pas abouti. Réessayez ou payez autrement à la caisse.",
    en: 'The payment did not go through. Please try again or pay another way at the till.',
    title: { fr: 'Paiement échoué', en: 'Payment failed' },
  },
  expired: {
    fr: 'Le délai pour payer est dépassé. Demandez un nouveau paiement à la caisse.',
    en: 'The time to pay has run out. Please ask at the till for a new payment.',
    title: { fr: 'Délai dépassé', en: 'Expired' },
  },
  partially_refunded: {
    fr: 'Paiement reçu ; une partie vous a été remboursée.',
    en: 'Payment received; part of it has been refunded to you.',
    title: { fr: 'Remboursé en partie', en: 'Partly refunded' },
  },
  refunded: {
    fr: 'Votre paiement vous a été remboursé.',
    en: 'Your payment has been refunded.',
    title: { fr: 'Remboursé', en: 'Refunded' },
  },
  requires_manual_review: {
    fr: 'Le paiement doit être vérifié par le personnel. Montrez cette page à la caisse.',
    en: 'The payment needs to be checked by the staff. Please show this page at the till.',
    title: { fr: 'En vérification', en: 'Under review' },
  },
};

/**
 * GET /pos/:merchant/payments/:payment/status: the public view behind the return page, only
 * what the customer holding the link may see. `final` once no rule can change the payment: a
 * full refund with no refund still on its way.
 */
export function returnView(payment: PaymentRecord, refunds: readonly RefundRecord[], merchantName: string) {
  const text = statusTexts[payment.status];
  const refundsOpen = refunds.some((refund) => refund.status === 'requested' || refund.status === 'sending');
  const number = shortReference(payment.paymentId);
  return {
    payment_id: payment.paymentId,
    merchant_id: payment.merchantId,
    payment_number: number,
    merchant_name: merchantName,
    status: payment.status,
    final: payment.status === 'refunded' && !refundsOpen,
    status_description: { fr: text.fr, en: text.en },
    title: { fr: `${text.title.fr} · ${merchantName}`, en: `${text.title.en} · ${merchantName}` },
    amount: {
      amount_minor: payment.amount.amountMinor,
      currency: payment.amount.currency,
      display: { fr: formatMoneyFor(payment.amount, 'fr-FR'), en: formatMoneyFor(payment.amount, 'en') },
    },
    description: payment.description,
    created_at: payment.createdAt,
  };
}

export type ReturnView = ReturnType<typeof returnView>;
