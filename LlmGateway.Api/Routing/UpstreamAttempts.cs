using System.Diagnostics;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Pricing;
using LlmGateway.Api.Providers;
using LlmGateway.Api.Relay;
using LlmGateway.Api.Telemetry;
using LlmGateway.Api.Translation;

namespace LlmGateway.Api.Routing;

/// <summary>One upstream attempt: build the deployment's body, send it, relay the answer, and tell the router how it went.</summary>
public sealed class UpstreamAttempts(
    UpstreamSender sender, ProviderRegistry providers, PriceTable prices, UnknownPricePolicy unknownPrices, ILogger<UpstreamAttempts> logger)
{
    private static readonly TimeSpan DefaultIdleTimeout = TimeSpan.FromSeconds(120);

    internal async Task<(ProviderFailure? Failure, GatewayError? Error)> TryAsync(ProxyContext proxy, DeploymentLease lease, FailoverRun run)
    {
        // A client gone between attempts: nothing more is sent for it (the failover returns what was tried).
        proxy.Http.RequestAborted.ThrowIfCancellationRequested();
        var deployment = lease.Candidate.Deployment;
        if (run.Call.PricedOnly && unknownPrices.Refusal(deployment) is { } unpriced)
        {
            return (null, unpriced); // a fallback group's deployment: the model group's own were checked at admission
        }

        var provider = providers.For(deployment, proxy.Client);
        var (body, invalid) = run.Call.Bodies.Build(deployment, provider.Adapter);
        if (invalid is not null)
        {
            return (null, invalid);
        }

        // drop_params said so (LiteLLM drops silently): the client learns what this deployment did not get.
        if (run.Call.Bodies.Dropped is { } dropped)
        {
            proxy.Http.Response.Headers["x-gateway-dropped-params"] = dropped;
        }
        else
        {
            proxy.Http.Response.Headers.Remove("x-gateway-dropped-params");
        }

        run.Attempts++;
        run.Outcome = new ProxyOutcome(deployment, run.Attempts, null, null, false);
        var attempt = new UpstreamAttempt(deployment, run.Attempts, proxy.Timings.StartUpstream());
        proxy.Timings.UpstreamFirstByte = TimeSpan.Zero;
        using var activity = StartActivity(attempt);
        var outcome = await SendAndRelayAsync(proxy, lease, provider, attempt, body!.Value, run);
        proxy.Timings.Upstream = Stopwatch.GetElapsedTime(attempt.StartedTimestamp);
        run.Outcome = new ProxyOutcome(deployment, run.Attempts, outcome.Usage, outcome.Failure, outcome.Committed)
        {
            ClientLeft = outcome.ClientLeft,
            Earlier = run.Earlier,
        };
        if (outcome.Failure is not { } failure)
        {
            activity?.SetTag("gen_ai.usage.input_tokens", outcome.Usage?.PromptTokens);
            activity?.SetTag("gen_ai.usage.output_tokens", outcome.Usage?.CompletionTokens);
            await lease.SucceededAsync(outcome.FirstByte, outcome.Usage);
            return (null, null);
        }

        await FailedAsync(lease, run, outcome, failure, activity);
        return (failure, null);
    }

    /// <summary>
    /// After the first byte the client got an error event: nothing fails over, but the deployment is charged with it. Before
    /// it, the next attempt takes over, carrying what this one was billed (a timeout after sending: the provider had the prompt).
    /// </summary>
    private async Task FailedAsync(DeploymentLease lease, FailoverRun run, RelayOutcome outcome, ProviderFailure failure, Activity? activity)
    {
        var deployment = lease.Candidate.Deployment;
        activity?.SetStatus(ActivityStatusCode.Error, failure.Kind.ToString());
        activity?.SetTag("error.type", RoutingMetrics.ErrorClass(failure.Kind));
        if (!outcome.Committed)
        {
            // The request's own refusals (a 400, a request-level 429) are a client's to read in its answer and the ledger's
            // status, not an operator's warning: at Warning, any tenant could fill the logs at its request rate.
            logger.Log(failure.IsRetryable && !failure.RequestLevel ? LogLevel.Warning : LogLevel.Debug,
                "Deployment {Deployment} of {Group} failed: {Kind} {Status}", deployment.Id, deployment.ModelName, failure.Kind, failure.StatusCode);
            run.Failures.Add((deployment, failure));
            if (outcome.Usage is { } billed)
            {
                run.Earlier = new EarlierAttempts(run.Earlier.Cost + (prices.CostOf(deployment, billed, run.Call.Route.Billing) ?? 0m), run.Earlier.Tokens + billed.TotalTokens);
            }
        }

        await lease.FailedAsync(failure);
    }

    /// <summary>
    /// Sends and relays under one <see cref="ClientDisconnect"/>: a client gone before the answer does not cancel the provider's
    /// work (drain, bounded), and work the provider was paid for — a client gone, a timeout after sending — is billed.
    /// </summary>
    private async Task<RelayOutcome> SendAndRelayAsync(
        ProxyContext proxy, DeploymentLease lease, IUpstreamProvider provider, UpstreamAttempt attempt, ReadOnlyMemory<byte> body, FailoverRun run)
    {
        using var disconnect = ClientDisconnect.Start(proxy.Http, () => run.Call.Route.PromptTokensAtMost(attempt.Deployment.ModelInfo.MaxInputTokens), proxy.Revoked);
        UpstreamResponse upstream;
        try
        {
            upstream = await sender.SendAsync(provider, attempt.Deployment, run.Call.Route.Operation, body, run.Headers, disconnect.Token);
        }
        catch (OperationCanceledException) when (disconnect.ClientGone)
        {
            return new RelayOutcome(disconnect.Settle(null), false, null, TimeSpan.Zero) { ClientLeft = true };
        }

        using (upstream)
        {
            var outcome = upstream.Failure is { } failure
                ? new RelayOutcome(null, false, failure, upstream.TimeToHeaders) { ClientLeft = disconnect.Left }
                : await RelayAsync(proxy, lease, provider, attempt, upstream, run, disconnect);
            // A timeout after the request was sent: the provider may have billed the prompt (and what it streamed).
            return outcome is { Failure.Kind: FailureKind.Timeout, Usage: null } ? outcome with { Usage = disconnect.Settle(null, brokenOff: true) } : outcome;
        }
    }

    private async Task<RelayOutcome> RelayAsync(
        ProxyContext proxy, DeploymentLease lease, IUpstreamProvider provider, UpstreamAttempt attempt, UpstreamResponse upstream, FailoverRun run,
        ClientDisconnect disconnect)
    {
        var deployment = attempt.Deployment;
        // A half-open deployment that answers is back before its body is relayed: the client's next request may use it.
        await lease.AnsweredAsync();
        var billing = run.Call.Route.Billing;
        Func<TokenUsage, decimal?> costOf = usage => prices.CostOf(deployment, usage, billing);
        var call = run.Call;
        var translation = Translate(proxy, provider.Adapter, call.Encoding with { CostOf = costOf });
        if (call.Stream && call.Capture is not null)
        {
            translation.Folder = new ResponseFolder();
        }

        var relay = new RelayRequest(proxy, attempt, upstream.Message!, translation, disconnect)
        {
            Idle = deployment.StreamTimeout ?? deployment.Timeout ?? DefaultIdleTimeout,
            FirstByte = deployment.FirstByteTimeout - upstream.TimeToHeaders,
            CostOf = costOf,
            Capture = call.Capture is { } capture ? answer => capture(answer, deployment) : null,
        };
        var outcome = call.Stream ? await ResponseRelay.StreamAsync(relay) : await ResponseRelay.BodyAsync(relay);
        return outcome.FirstByte == TimeSpan.Zero ? outcome with { FirstByte = upstream.TimeToHeaders } : outcome;
    }

    /// <summary>Same format both sides: the bytes pass through. Otherwise through the canonical model.</summary>
    private static ResponseTranslation Translate(ProxyContext proxy, IUpstreamAdapter upstream, StreamEncoderOptions options)
    {
        var client = proxy.Client;
        if (upstream.Format == client.NativeUpstream)
        {
            return upstream.PassThrough(options);
        }

        var identity = new ResponseIdentity(proxy.AnswerId, proxy.Group.Name, DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        return new CanonicalTranslation(upstream.NewStreamDecoder(), client.NewStreamEncoder(identity, options), upstream, client, identity);
    }

    private static Activity? StartActivity(UpstreamAttempt attempt)
    {
        var activity = GatewayTelemetry.ActivitySource.StartActivity("upstream attempt", ActivityKind.Client);
        activity?.SetTag("gen_ai.system", ProviderRegistry.Name(attempt.Deployment.Provider));
        activity?.SetTag("gen_ai.request.model", attempt.Deployment.ProviderModel);
        activity?.SetTag("llmgateway.deployment", attempt.Deployment.Id);
        activity?.SetTag("llmgateway.attempt", attempt.Number);
        return activity;
    }
}
