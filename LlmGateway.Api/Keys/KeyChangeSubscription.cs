using System.Diagnostics.Metrics;
using LlmGateway.Api.Replication;

namespace LlmGateway.Api.Keys;

/// <summary>
/// Keeps this replica subscribed to key changes (Redis pub/sub), the way a revocation reaches it at once. A probe published
/// on the channel every <see cref="KeyCacheOptions.SubscriptionProbeSeconds"/> must come back; when it does not (Redis
/// restarted, the connection killed, never subscribed at start-up) the replica subscribes again with a jittered backoff,
/// and once back forgets its cached records: changes published meanwhile were missed. The state is in
/// <c>GET /health</c> (<c>key_revocation</c>) and the metrics <c>llmgateway.keys.subscription.up</c> and
/// <c>llmgateway.keys.subscription.resubscribes</c>.
/// </summary>
public sealed class KeyChangeSubscription : ChannelSubscription
{
    private static readonly Counter<long> Resubscribes = GatewayTelemetry.Meter.CreateCounter<long>(
        "llmgateway.keys.subscription.resubscribes", "{subscription}",
        "Times a replica subscribed to key changes again after its subscription failed or dropped.");

    public KeyChangeSubscription(StackExchange.Redis.IConnectionMultiplexer redis, ILogger logger, TimeSpan probeInterval, Action<string> onChange, Action onGap)
        : base(redis, logger, KeyCache.Channel, "key changes", probeInterval, onChange, onGap)
    {
        GatewayTelemetry.Meter.CreateObservableGauge("llmgateway.keys.subscription.up", () => State.Subscribed ? 1 : 0, "{subscription}",
            "1 while this replica receives key changes (revocations) over Redis pub/sub, 0 while it is resubscribing.");
    }

    protected override void OnResubscribed() => Resubscribes.Add(1);
}
