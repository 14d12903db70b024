using System.Threading.Channels;
using LlmGateway.Api.Data.Entities;

namespace LlmGateway.Api.Alerts;

/// <summary>Alerts raised on a hot path (a deployment cooled down) wait here until the delivery worker records them.</summary>
public sealed class AlertQueue
{
    private readonly Channel<Alert> queue = Channel.CreateBounded<Alert>(new BoundedChannelOptions(256) { FullMode = BoundedChannelFullMode.DropWrite });

    public bool TryEnqueue(Alert alert) => queue.Writer.TryWrite(alert);

    internal bool TryDequeue(out Alert alert) => queue.Reader.TryRead(out alert!);
}

/// <summary>Records queued alerts, then sends every due alert (from any replica) with bounded, jittered retries.</summary>
internal sealed class AlertDeliveryWorker(
    AlertStore store,
    AlertQueue queue,
    AlertDelivery delivery,
    AlertSetup setup,
    GatewayReadiness readiness,
    TimeProvider clock,
    ILogger<AlertDeliveryWorker> logger) : BackgroundService
{
    private const int Batch = 20;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var more = false;
            if (readiness.SchemaReady)
            {
                try
                {
                    await RecordQueuedAsync(stoppingToken);
                    more = await DeliverDueAsync(stoppingToken);
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    logger.LogWarning("Alert delivery pass failed ({Error}); trying again shortly", ex.GetType().Name);
                }
            }

            if (!more)
            {
                await store.WaitForWorkAsync(setup.Options.DeliveryPollInterval, stoppingToken);
            }
        }
    }

    private async Task RecordQueuedAsync(CancellationToken ct)
    {
        while (queue.TryDequeue(out var alert))
        {
            await store.TryInsertAsync(alert, ct);
        }
    }

    private async Task<bool> DeliverDueAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        // Long enough for every channel's timeout; a replica that dies mid-send leaves the row due again after it.
        var lease = now + setup.Options.SendTimeout * (setup.Channels.Count + 1) + TimeSpan.FromSeconds(30);
        var due = await store.ClaimDueAsync(now, lease, Batch, ct);
        foreach (var alert in due)
        {
            await delivery.AttemptAsync(alert, ct);
        }

        return due.Count == Batch;
    }
}
