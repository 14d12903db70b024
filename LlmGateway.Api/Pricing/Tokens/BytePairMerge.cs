namespace LlmGateway.Api.Pricing.Tokens;

/// <summary>
/// How many tokens byte-pair merging by rank leaves of one pre-token: the adjacent pair whose joined bytes have the lowest
/// rank is merged first (the leftmost of equal ones), until no joined pair is a token. Counts only; no ids are kept.
/// </summary>
internal static class BytePairMerge
{
    // Up to this length a scan per merge is cheapest; beyond it (a hostile 100 KB run of letters) a heap keeps it n log n.
    private const int ScanUpTo = 128;

    public static int Count(O200kVocabulary vocabulary, ReadOnlySpan<byte> piece) =>
        piece.Length <= ScanUpTo ? CountByScan(vocabulary, piece) : CountByHeap(vocabulary, piece);

    private static int CountByScan(O200kVocabulary vocabulary, ReadOnlySpan<byte> piece)
    {
        var parts = piece.Length + 1; // part i starts at start[i]; the last one is the end
        Span<int> start = stackalloc int[parts];
        Span<int> rank = stackalloc int[parts];
        for (var i = 0; i < parts; i++)
        {
            start[i] = i;
        }

        for (var i = 0; i < parts; i++)
        {
            rank[i] = i + 2 < parts ? RankOrMax(vocabulary, piece[i..(i + 2)]) : int.MaxValue;
        }

        while (true)
        {
            var (min, at) = (int.MaxValue, -1);
            for (var i = 0; i < parts - 1; i++)
            {
                if (rank[i] < min)
                {
                    (min, at) = (rank[i], i);
                }
            }

            if (at < 0)
            {
                return parts - 1;
            }

            // Part at+1 joins part at: the pairs starting at at-1 and at now span one part more.
            rank[at] = at + 3 < parts ? RankOrMax(vocabulary, piece[start[at]..start[at + 3]]) : int.MaxValue;
            if (at > 0)
            {
                rank[at - 1] = RankOrMax(vocabulary, piece[start[at - 1]..start[at + 2]]);
            }

            start[(at + 2)..parts].CopyTo(start[(at + 1)..]);
            rank[(at + 2)..parts].CopyTo(rank[(at + 1)..]);
            parts--;
        }
    }

    private static int CountByHeap(O200kVocabulary vocabulary, ReadOnlySpan<byte> piece)
    {
        var n = piece.Length; // nodes 0..n-1 are the parts, node n the end
        var next = new int[n + 1];
        var prev = new int[n + 1];
        var version = new int[n + 1];
        var heap = new PriorityQueue<(int Node, int Version), long>(n);
        for (var i = 0; i <= n; i++)
        {
            (next[i], prev[i]) = (i + 1, i - 1);
        }

        for (var i = 0; i + 1 < n; i++)
        {
            Push(heap, vocabulary, piece, i, next, version);
        }

        var parts = n;
        while (heap.TryDequeue(out var entry, out _))
        {
            var node = entry.Node;
            if (version[node] != entry.Version)
            {
                continue; // merged away, or its pair changed since
            }

            var gone = next[node];
            version[gone] = -1;
            next[node] = next[gone];
            prev[next[gone]] = node;
            parts--;
            version[node]++;
            Push(heap, vocabulary, piece, node, next, version);
            if (prev[node] >= 0)
            {
                version[prev[node]]++;
                Push(heap, vocabulary, piece, prev[node], next, version);
            }
        }

        return parts;
    }

    // Nodes keep their start: node i starts at byte i. Ties go to the leftmost pair, as in the scan.
    private static void Push(PriorityQueue<(int, int), long> heap, O200kVocabulary vocabulary, ReadOnlySpan<byte> piece, int node, int[] next, int[] version)
    {
        var n = piece.Length;
        if (next[node] >= n)
        {
            return;
        }

        var rank = vocabulary.RankOf(piece[node..next[next[node]]]);
        if (rank >= 0)
        {
            heap.Enqueue((node, version[node]), ((long)rank << 32) | (uint)node);
        }
    }

    private static int RankOrMax(O200kVocabulary vocabulary, ReadOnlySpan<byte> pair)
    {
        var rank = vocabulary.RankOf(pair);
        return rank < 0 ? int.MaxValue : rank;
    }
}
