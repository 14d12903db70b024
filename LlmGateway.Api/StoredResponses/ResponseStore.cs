using System.Text.Json.Nodes;
using LlmGateway.Api.Auth;
using LlmGateway.Api.Data;
using LlmGateway.Api.Data.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace LlmGateway.Api.StoredResponses;

/// <summary>
/// Responses API state in Postgres (<c>stored_responses</c>), scoped to the team that created it (or the key, when it has
/// no team): any other caller gets nothing, as if the id did not exist. Content is never logged.
/// </summary>
public sealed class ResponseStore(IServiceScopeFactory scopes, IOptions<StoredResponseOptions> options, ILogger<ResponseStore> logger)
{
    /// <summary>How long a stored response is kept.</summary>
    public TimeSpan Retention => options.Value.Retention;

    /// <summary>How far a <c>previous_response_id</c> chain is followed (older turns are dropped).</summary>
    private const int MaxChain = 1000;

    public static string ScopeOf(Caller caller) =>
        caller.Key is not { } key ? "master" : key.TeamId is { } team ? "team:" + team : "key:" + key.Token;

    /// <summary>Keeps a response; a failure is logged (without content) and never breaks the answer being sent.</summary>
    public async Task SaveAsync(StoredResponse response)
    {
        try
        {
            using var timeout = new CancellationTokenSource(options.Value.Timeout);
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
            db.StoredResponses.Add(response);
            await db.SaveChangesAsync(timeout.Token);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            logger.LogWarning("Storing response {ResponseId} failed ({Error}); previous_response_id will not find it", response.Id, ex.GetType().Name);
        }
    }

    public async Task<StoredResponse?> FindAsync(string scope, string id, CancellationToken cancellationToken)
    {
        await using var services = scopes.CreateAsyncScope();
        var db = services.ServiceProvider.GetRequiredService<GatewayDbContext>();
        var cutoff = DateTimeOffset.UtcNow - options.Value.Retention;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Value.Timeout);
        return await db.StoredResponses.AsNoTracking()
            .FirstOrDefaultAsync(r => r.Id == id && r.Scope == scope && r.CreatedAt >= cutoff, timeout.Token);
    }

    public async Task<bool> DeleteAsync(string scope, string id, CancellationToken cancellationToken)
    {
        await using var services = scopes.CreateAsyncScope();
        var db = services.ServiceProvider.GetRequiredService<GatewayDbContext>();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Value.Timeout);
        return await db.StoredResponses.Where(r => r.Id == id && r.Scope == scope).ExecuteDeleteAsync(timeout.Token) > 0;
    }

    /// <summary>
    /// The chain ending at <paramref name="id"/>, oldest first, in one query (a recursive walk of <c>previous_response_id</c>
    /// within the scope); null when <paramref name="id"/> itself is not found. A link deleted or expired ends the chain there.
    /// The walk stops once the rows read hold more than <paramref name="maxBytes"/> (their input and response text): such a
    /// chain is <see cref="StoredChain.TooLarge"/>, and no more of it is read into memory (NoisyNeighbourAttackTests).
    /// </summary>
    public async Task<StoredChain?> LoadChainAsync(string scope, string id, long maxBytes, CancellationToken cancellationToken)
    {
        await using var services = scopes.CreateAsyncScope();
        var db = services.ServiceProvider.GetRequiredService<GatewayDbContext>();
        var cutoff = DateTimeOffset.UtcNow - options.Value.Retention;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Value.Timeout);
        var rows = await db.StoredResponses.FromSql($"""
            WITH RECURSIVE chain AS (
                SELECT s.*, 1 AS depth, octet_length(s.input)::bigint + octet_length(s.response) AS total
                FROM stored_responses s WHERE s.id = {id} AND s.scope = {scope} AND s.created_at >= {cutoff}
                UNION ALL
                SELECT s.*, c.depth + 1, c.total + octet_length(s.input) + octet_length(s.response)
                FROM stored_responses s JOIN chain c ON s.id = c.previous_response_id
                WHERE s.scope = {scope} AND s.created_at >= {cutoff} AND c.depth < {MaxChain} AND c.total <= {maxBytes})
            SELECT id, scope, previous_response_id, model, created_at, input, response FROM chain
            """).AsNoTracking().ToListAsync(timeout.Token);
        if (rows.Count == 0)
        {
            return null;
        }

        if (rows.Sum(r => (long)System.Text.Encoding.UTF8.GetByteCount(r.Input) + System.Text.Encoding.UTF8.GetByteCount(r.Response)) > maxBytes)
        {
            return new StoredChain([], TooLarge: true);
        }

        var byId = rows.ToDictionary(r => r.Id);
        var chain = new List<StoredResponse>(rows.Count);
        for (var next = byId.GetValueOrDefault(id); next is not null; next = next.PreviousResponseId is { } p ? byId.GetValueOrDefault(p) : null)
        {
            chain.Add(next);
            if (chain.Count > rows.Count)
            {
                break;
            }
        }

        chain.Reverse();
        return new StoredChain(chain, TooLarge: false);
    }

    /// <summary>A chain's conversation: each response's input items, then its output items.</summary>
    public static List<JsonNode?> HistoryOf(List<StoredResponse> chain)
    {
        var items = new List<JsonNode?>();
        foreach (var response in chain)
        {
            items.AddRange(JsonNode.Parse(response.Input)!.AsArray().Select(i => i?.DeepClone()));
            if (JsonNode.Parse(response.Response)?["output"] is JsonArray output)
            {
                items.AddRange(output.Select(i => i?.DeepClone()));
            }
        }

        return items;
    }
}

/// <summary>A stored conversation, oldest response first; <see cref="TooLarge"/>: longer than the body limit, not read whole.</summary>
public sealed record StoredChain(List<StoredResponse> Responses, bool TooLarge);
