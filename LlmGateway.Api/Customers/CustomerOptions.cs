namespace LlmGateway.Api.Customers;

/// <summary>Section <c>Gateway:Customers</c>: how end customers are cached and how long an unknown end user's counters live.</summary>
public sealed class CustomerOptions
{
    /// <summary>Every replica reloads the customers and budget objects this often, in case a change message was missed (default 30 s).</summary>
    public double RefreshSeconds { get; set; } = 30;

    /// <summary>
    /// An unknown end user's budget counters (<c>max_end_user_budget</c>) expire this long after the end user was last idle
    /// (default 60 min); the next request seeds them again from the ledger, so nothing is handed back, and random ids cost
    /// Redis memory for at most this long.
    /// </summary>
    public double UnknownEndUserCounterMinutes { get; set; } = 60;
}
