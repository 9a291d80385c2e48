/** Money in integer minor units with its ISO 4217 code, as the contracts carry it. */
export interface Money {
  amountMinor: number;
  currency: string;
}
