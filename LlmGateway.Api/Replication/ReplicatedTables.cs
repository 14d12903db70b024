using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace LlmGateway.Api.Replication;

/// <summary>Section <c>Gateway:Replication</c>: how the tables every replica holds in memory stay in step.</summary>
public sealed class ReplicationOptions
{
    /// <summary>How often each table's subscription is probed (a message sent to itself); lost, it subscribes again. Default 5 s.</summary>
    public double ProbeSeconds { get; set; } = 5;
}

/// <summary>Makes the <see cref="ReplicatedTable{T}"/>s of the customers, the tags and the stored models.</summary>
public sealed class ReplicatedTables(IConnectionMultiplexer redis, GatewayReadiness readiness, IOptions<ReplicationOptions> options, ILoggerFactory loggers)
{
    private readonly TimeSpan probe = TimeSpan.FromSeconds(Math.Max(0.1, options.Value.ProbeSeconds));

    /// <param name="topic">What the table holds, for the logs (e.g. "the customers").</param>
    public ReplicatedTable<T> Create<T>(string topic, RedisChannel channel, T empty, TimeSpan poll, Func<T, CancellationToken, Task<T>> load)
        where T : class =>
        new(topic, channel, empty, poll, load, redis, readiness, probe, loggers.CreateLogger<ReplicatedTables>());

    /// <summary>Registers the factory (once, whichever feature asks first).</summary>
    public static void Register(IServiceCollection services)
    {
        if (services.Any(d => d.ServiceType == typeof(ReplicatedTables)))
        {
            return;
        }

        services.AddOptions<ReplicationOptions>().BindConfiguration("Gateway:Replication");
        services.AddSingleton<ReplicatedTables>();
    }
}
