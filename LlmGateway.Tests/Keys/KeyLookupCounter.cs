using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace LlmGateway.Tests.Keys;

/// <summary>Counts the queries that read <c>virtual_keys</c>, and can hold them until the test lets them go.</summary>
public sealed class KeyLookupCounter : DbCommandInterceptor
{
    private int count;

    public int Count => Volatile.Read(ref count);

    public TaskCompletionSource? Gate { get; set; }

    public void Reset() => Interlocked.Exchange(ref count, 0);

    public override async ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(
        DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
    {
        if (command.CommandText.Contains("virtual_keys", StringComparison.Ordinal))
        {
            var n = Interlocked.Increment(ref count);
            if (n == 1 && Gate is { } gate)
            {
                await gate.Task;
            }
        }

        return result;
    }
}
