//! [`Flat`]: many short lists in one allocation.

use super::config::CompileError;
use super::ids::checked_id;

/// Many short lists in one allocation: list `i` is `items[starts[i]..starts[i + 1]]`. A boxed
/// slice per list would cost 16 bytes of header and an allocation each.
#[derive(Debug)]
pub(crate) struct Flat<T> {
    /// Empty, or `0` followed by each list's end.
    starts: Vec<u32>,
    items: Vec<T>,
}

impl<T> Default for Flat<T> {
    /// No lists, and no allocation.
    fn default() -> Flat<T> {
        Flat {
            starts: Vec::new(),
            items: Vec::new(),
        }
    }
}

impl<T> Flat<T> {
    /// Appends a list; `what` names the items for the error when they no longer fit a `u32`
    /// offset (nothing is appended then).
    pub(crate) fn push(
        &mut self,
        list: impl IntoIterator<Item = T>,
        what: &'static str,
    ) -> Result<(), CompileError> {
        if self.starts.is_empty() {
            self.starts.push(0);
        }
        let before = self.items.len();
        self.items.extend(list);
        match checked_id(self.items.len(), what) {
            Ok(end) => {
                self.starts.push(end);
                Ok(())
            }
            Err(error) => {
                self.items.truncate(before);
                Err(error)
            }
        }
    }

    /// List `index` (empty past the end).
    #[inline]
    pub(crate) fn get(&self, index: usize) -> &[T] {
        match (self.starts.get(index), self.starts.get(index + 1)) {
            (Some(start), Some(end)) => self
                .items
                .get(*start as usize..*end as usize)
                .unwrap_or(&[]),
            _ => &[],
        }
    }

    /// How many lists.
    pub(crate) fn len(&self) -> usize {
        self.starts.len().saturating_sub(1)
    }

    /// The same lists without the empty ones at the end (which [`Flat::get`] gives anyway),
    /// allocations fitted: lists of nothing but empty lists cost no allocation.
    pub(crate) fn trimmed(mut self) -> Flat<T> {
        while let [.., before, last] = self.starts[..]
            && before == last
        {
            self.starts.pop();
        }
        if self.starts.len() == 1 {
            self.starts.clear();
        }
        self.starts.shrink_to_fit();
        self.items.shrink_to_fit();
        self
    }

    /// Heap bytes, at capacity.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.starts.capacity() * size_of::<u32>() + self.items.capacity() * size_of::<T>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_come_back_as_pushed_and_trimming_keeps_them() -> Result<(), CompileError> {
        let mut flat: Flat<u32> = Flat::default();
        assert_eq!((flat.len(), flat.get(0)), (0, &[][..]));
        flat.push([1, 2], "items")?;
        flat.push([], "items")?;
        flat.push([3], "items")?;
        flat.push([], "items")?;
        flat.push([], "items")?;
        let lists: Vec<Vec<u32>> = (0..6).map(|i| flat.get(i).to_vec()).collect();
        let expected: [&[u32]; 6] = [&[1, 2], &[], &[3], &[], &[], &[]];
        assert_eq!(lists, expected);
        assert_eq!(flat.len(), 5);
        let trimmed = flat.trimmed();
        assert_eq!(trimmed.len(), 3);
        let again: Vec<&[u32]> = (0..6).map(|i| trimmed.get(i)).collect();
        assert_eq!(again, expected);

        let mut empty: Flat<u32> = Flat::default();
        empty.push([], "items")?;
        empty.push([], "items")?;
        let empty = empty.trimmed();
        assert_eq!(
            (empty.len(), empty.heap_bytes(), empty.get(1)),
            (0, 0, &[][..])
        );
        Ok(())
    }
}
