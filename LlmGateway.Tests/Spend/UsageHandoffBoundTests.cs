using LlmGateway.Api.Spend;
using Microsoft.Extensions.Options;
using static LlmGateway.Tests.Spend.SpendTestData;

namespace LlmGateway.Tests.Spend;

/// <summary>The handoff's memory bound and eviction, on the class itself.</summary>
public sealed class UsageHandoffBoundTests
{
    [Fact]
    public void WhenFullItKeepsTheOldestEventsWhichTheWriterReadsNextAndTakesMoreOnceTheyAreTaken()
    {
        var handoff = Handoff(capacity: 3);
        for (var i = 1; i <= 5; i++)
        {
            handoff.Added($"1700000000000-{i}", Usage($"req-{i}"));
        }

        Assert.Equal(3, handoff.Count);
        Assert.Equal("req-1", handoff.Take("1700000000000-1")?.RequestId);
        Assert.Equal("req-2", handoff.Take("1700000000000-2")?.RequestId);
        Assert.Null(handoff.Take("1700000000000-4")); // not kept: parsed from the stream
        Assert.Null(handoff.Take("1700000000000-5"));
        Assert.Null(handoff.Take("1700000000000-1")); // taken once
        Assert.Equal(2, handoff.Taken);

        handoff.Added("1700000000000-6", Usage("req-6")); // room again
        handoff.Added("1700000000000-7", Usage("req-7"));
        handoff.Added("1700000000000-8", Usage("req-8")); // full again (3, 6, 7)
        Assert.Equal(3, handoff.Count);
        Assert.Equal("req-3", handoff.Take("1700000000000-3")?.RequestId);
        Assert.Equal("req-7", handoff.Take("1700000000000-7")?.RequestId);
        Assert.Null(handoff.Take("1700000000000-8"));
    }

    [Fact]
    public void AWriterBehindByMoreThanTheCapacityStillFindsTheEventsItReadsNext()
    {
        // Postgres paused under load: 1,000 events wait, the capacity is 100, and 100 more arrive after each batch the writer
        // reads (oldest first). Dropping the oldest kept only events the writer would not reach for a while: it found none.
        var handoff = Handoff(capacity: 100);
        var next = 1;
        for (; next <= 1000; next++)
        {
            handoff.Added($"1700000000000-{next}", Usage($"req-{next}"));
        }

        var found = 0;
        for (var batch = 0; batch < 10; batch++)
        {
            handoff.DeliveredFrom($"1700000000000-{batch * 100 + 1}");
            found += Enumerable.Range(batch * 100 + 1, 100).Count(i => handoff.Take($"1700000000000-{i}") is not null);
            for (var i = 0; i < 100; i++, next++)
            {
                handoff.Added($"1700000000000-{next}", Usage($"req-{next}"));
            }
        }

        Assert.Equal(100, found);
    }

    [Fact]
    public void EntriesBeforeTheFirstOfAFreshBatchWentToAnotherReplicaAndAreDropped()
    {
        var handoff = Handoff(capacity: 100);
        handoff.Added("9-5", Usage("req-a"));
        handoff.Added("10-0", Usage("req-b"));
        handoff.Added("10-1", Usage("req-c"));
        handoff.Added("100-0", Usage("req-d"));

        handoff.DeliveredFrom("10-1"); // numeric order, not text order: "9-5" < "10-0" < "10-1" < "100-0"

        Assert.Equal(2, handoff.Count);
        Assert.Null(handoff.Take("9-5"));
        Assert.Null(handoff.Take("10-0"));
        Assert.Equal("req-c", handoff.Take("10-1")?.RequestId);
        Assert.Equal("req-d", handoff.Take("100-0")?.RequestId);
    }

    [Fact]
    public void WithCapacityZeroNothingIsHeld()
    {
        var handoff = Handoff(capacity: 0);
        handoff.Added("1-1", Usage("req-off"));

        Assert.Equal(0, handoff.Count);
        Assert.Null(handoff.Take("1-1"));
    }

    [Theory]
    [InlineData("1-0", true)]
    [InlineData("1733470000000-18446744073709551615", true)]
    [InlineData("1-", false)]
    [InlineData("-1", false)]
    [InlineData("1-x", false)]
    [InlineData("abc", false)]
    [InlineData("", false)]
    public void OnlyWellFormedStreamIdsAreParsed(string id, bool valid) =>
        Assert.Equal(valid, StreamEntryId.TryParse(id, out _));

    private static UsageHandoff Handoff(int capacity) =>
        new(Options.Create(new SpendLedgerOptions { HandoffCapacity = capacity }));
}
