using System.Diagnostics;
using System.Text.Json;
using LlmGateway.Api.Translation;
using LlmGateway.Api.Configuration;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Providers;
using LlmGateway.Api.Streaming;
using LlmGateway.Api.Routing;
using Polly;

namespace LlmGateway.Api.Health;

/// <summary>The verdict of one probe.</summary>
public sealed record ProbeResult(DeploymentConfig Deployment, string? Error, TimeSpan Latency)
{
    public bool Healthy => Error is null;

    /// <summary>How the provider failed it, classified as a request's failure would be; null when it answered, or failed otherwise (an empty body).</summary>
    public ProviderFailure? Failure { get; init; }
}

/// <summary>
/// Active health checks: the cheapest real request to each deployment (a chat "ping" with <c>max_tokens: 1</c>, or a
/// one-word embedding), a bounded number at a time; each verdict is shared through Redis for every replica's router.
/// </summary>
public sealed class DeploymentProber(
    UpstreamSender sender, ProviderRegistry providers, DeploymentStateStore store, DeploymentStats stats, RoutingPolicy policy,
    IHealthCheckSpendSink spend, ILogger<DeploymentProber> logger)
{
    private static readonly TimeSpan MaxProbeTime = TimeSpan.FromSeconds(30);

    // A probe waits at most 30 s in all (headers and body), whatever the deployment's own timeout.
    private readonly ResiliencePipeline probeTimeout = new ResiliencePipelineBuilder().AddTimeout(MaxProbeTime).Build();

    public async Task<IReadOnlyList<ProbeResult>> ProbeAllAsync(IEnumerable<DeploymentConfig> deployments, CancellationToken cancellationToken)
    {
        // A wildcard deployment (litellm_params.model: anthropic/*) has no model to ask: it is not probed (docs/routing.md).
        var list = deployments.Where(d => !d.ProviderModel.Contains('*')).ToArray();
        var results = new ProbeResult[list.Length];
        await Parallel.ForEachAsync(Enumerable.Range(0, list.Length),
            new ParallelOptions { MaxDegreeOfParallelism = policy.HealthCheckConcurrency, CancellationToken = cancellationToken },
            async (i, ct) => results[i] = await ProbeAsync(list[i], ct));
        return results;
    }

    /// <summary>
    /// One probe, nothing recorded and no health state written: a deployment not serving yet (<c>/health/test_connection</c>),
    /// or the gateway's own ping after a timeout the request's length may explain or of a half-open deployment (<see cref="Routing.DeploymentPings"/>).
    /// </summary>
    public Task<ProbeResult> TestAsync(DeploymentConfig deployment, CancellationToken cancellationToken) => RunAsync(deployment, cancellationToken);

    public async Task<ProbeResult> ProbeAsync(DeploymentConfig deployment, CancellationToken cancellationToken)
    {
        var (_, error, latency) = await RunAsync(deployment, cancellationToken);
        if (error is null)
        {
            stats.RecordLatency(deployment.Id, latency);
        }
        else
        {
            logger.LogWarning("Health check of deployment {Deployment} ({Group}) failed: {Error}", deployment.Id, deployment.ModelName, error);
        }

        // Three intervals: a mark goes stale by itself if no replica checks any more.
        await store.MarkHealthAsync(deployment.Id, error, policy.HealthCheckInterval * 3);
        return new ProbeResult(deployment, error, latency);
    }

    private async Task<ProbeResult> RunAsync(DeploymentConfig deployment, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        string? error;
        ProviderFailure? failure;
        try
        {
            (error, failure) = await probeTimeout.ExecuteAsync(async ct => await SendAsync(deployment, ct), cancellationToken);
        }
        catch (Polly.Timeout.TimeoutRejectedException)
        {
            error = $"no answer within {MaxProbeTime.TotalSeconds:0} s";
            failure = new ProviderFailure(FailureKind.Timeout, 504, error) { NothingReceived = true };
        }

        return new ProbeResult(deployment, error, Stopwatch.GetElapsedTime(started)) { Failure = failure };
    }

    private async Task<(string? Error, ProviderFailure? Failure)> SendAsync(DeploymentConfig deployment, CancellationToken ct)
    {
        var provider = providers.For(deployment);
        var embedding = string.Equals(deployment.ModelInfo.Mode, "embedding", StringComparison.OrdinalIgnoreCase);
        var operation = embedding ? UpstreamOperation.Embeddings : UpstreamOperation.Chat;
        if (!provider.Supports(operation))
        {
            return ($"the provider does not serve {(embedding ? "embeddings" : "chat")}", null);
        }

        // OpenAI's and Anthropic's chat bodies agree on these three fields.
        var body = embedding
            ? JsonSerializer.SerializeToUtf8Bytes(new ProbeEmbedding(deployment.ProviderModel, "ping"), HealthJson.Default.ProbeEmbedding)
            : JsonSerializer.SerializeToUtf8Bytes(new ProbeChat(deployment.ProviderModel, [new ProbeMessage("user", "ping")], 1), HealthJson.Default.ProbeChat);
        using var upstream = await sender.SendAsync(provider, deployment, operation, body, default, ct);
        if (upstream.Failure is { } failure)
        {
            return (RoutingErrors.Describe(failure), failure);
        }

        using var deadline = new ReadDeadline(ct, MaxProbeTime);
        var (buffer, length) = await deadline.ReadAllAsync(upstream.Message!);
        try
        {
            TokenUsage? usage = provider.Format == WireFormat.OpenAi && TokenUsage.TryReadOpenAi(buffer.AsSpan(0, length), out var read, out _) ? read : null;
            spend.ProbeCompleted(deployment, usage);
            return (length == 0 ? "the provider answered 200 with an empty body" : null, null);
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}

internal sealed record ProbeMessage(string Role, string Content);

internal sealed record ProbeChat(string Model, IReadOnlyList<ProbeMessage> Messages, int MaxTokens);

internal sealed record ProbeEmbedding(string Model, string Input);

[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.SnakeCaseLower)]
[System.Text.Json.Serialization.JsonSerializable(typeof(ProbeChat))]
[System.Text.Json.Serialization.JsonSerializable(typeof(ProbeEmbedding))]
internal sealed partial class HealthJson : System.Text.Json.Serialization.JsonSerializerContext;
