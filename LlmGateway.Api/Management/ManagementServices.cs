using LlmGateway.Api.Contracts;
using LlmGateway.Api.Data;
using LlmGateway.Api.Data.Entities;
using LlmGateway.Api.Keys;
using LlmGateway.Api.Limits;

namespace LlmGateway.Api.Management;

/// <summary>What the management handlers need, grouped for <c>[AsParameters]</c>.</summary>
public sealed class ManagementServices(GatewayDbContext db, KeyCache keys, LedgerSeeder ledger, ScopeCounters counters)
{
    public ScopeCounters Counters { get; } = counters;

    public GatewayDbContext Db { get; } = db;
    public KeyCache Keys { get; } = keys;
    public LedgerSeeder Ledger { get; } = ledger;

    public static IResult Error(GatewayError error) =>
        Results.Text(System.Text.Encoding.UTF8.GetString(ErrorWriter.ToBytes(error, ClientFormat.OpenAi)), "application/json", statusCode: error.StatusCode);

    /// <summary>Spend in the current budget period (all time without a budget_duration).</summary>
    public Task<decimal> TeamSpendAsync(Team team, DateTimeOffset now, CancellationToken ct) =>
        Ledger.CurrentSpendAsync(LimitScope.ForTeam(team.TeamId, team.TeamAlias ?? team.TeamId, team.BudgetDuration, team.CreatedAt, now), ct);

    public Task<decimal> UserSpendAsync(InternalUser user, DateTimeOffset now, CancellationToken ct) =>
        Ledger.CurrentSpendAsync(LimitScope.ForUser(user.UserId, user.UserAlias ?? user.UserId, user.BudgetDuration, user.CreatedAt, now), ct);

    public Task<decimal> KeySpendAsync(VirtualKey key, DateTimeOffset now, CancellationToken ct) =>
        Ledger.CurrentSpendAsync(LimitScope.ForKey(key.Token, key.TeamId, key.KeyAlias ?? key.KeyName, key.BudgetDuration, key.CreatedAt, now), ct);
}
